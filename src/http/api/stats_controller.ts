import type { HttpContext } from '@adonisjs/core/http'
import type { Exo } from '../../exo.js'
import { ownedSubscription } from './api_context.js'
import { serializeEndpointHealth } from './serializers.js'
import { statsValidator } from './validators.js'

export default class StatsController {
  constructor(private exo: Exo) {}

  async show(ctx: HttpContext) {
    const subscription = await ownedSubscription(ctx)
    const { window = '24h' } = await statsValidator.validate(ctx.request.qs())
    return serializeEndpointHealth(await this.exo.stats.of(subscription.id, window))
  }
}
