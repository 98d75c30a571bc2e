import type { HttpContext } from '@adonisjs/core/http'
import type { Dashboard } from './dashboard.js'

/**
 * Pages of the dashboard that belong to no record.
 */
export default class PagesController {
  constructor(private dashboard: Dashboard) {}

  async notFound(ctx: HttpContext) {
    return this.dashboard.render(ctx, 'pages/not_found', {}, 404)
  }
}
