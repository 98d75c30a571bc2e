import type { Exo } from '../../exo.js'
import type { HttpContext } from '@adonisjs/core/http'
import { WebhookSubscription } from '../../models/webhook_subscription.js'
import { currentUserId } from '../api/api_context.js'
import type { Dashboard } from './dashboard.js'

/**
 * Every registered resource: its triggers, whose records it delivers, and
 * how many of the user's subscriptions listen to it.
 */
export default class ResourcesController {
  constructor(
    private dashboard: Dashboard,
    private exo: Exo
  ) {}

  async index(ctx: HttpContext) {
    const resources = await this.exo.registry.all()
    const counts = await WebhookSubscription.query()
      .where('user_id', currentUserId(ctx))
      .select('resource')
      .count('* as total')
      .groupBy('resource')
    const subscribed = new Map(counts.map((row) => [row.resource, Number(row.$extras.total)]))

    return this.dashboard.render(ctx, 'pages/resources', {
      resources: [...resources.values()].map(({ name, triggers, model }) => ({
        name,
        triggers,
        ownerColumn: model.ownerColumn ?? null,
        subscriptions: subscribed.get(name) ?? 0,
      })),
    })
  }
}
