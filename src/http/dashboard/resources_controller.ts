import type { Exo } from '../../exo.js'
import type { HttpContext } from '@adonisjs/core/http'
import { WebhookSubscription } from '../../models/webhook_subscription.js'
import { currentUserId } from '../api/api_context.js'
import type { Dashboard } from './dashboard.js'

/**
 * Every registered resource: its triggers and domain events, each with the
 * schema of its data and an example payload (from the event catalog), whose
 * records it delivers, and how many of the user's subscriptions listen to it.
 */
export default class ResourcesController {
  constructor(
    private dashboard: Dashboard,
    private exo: Exo
  ) {}

  async index(ctx: HttpContext) {
    const resources = await this.exo.registry.all()
    const eventTypes = await this.exo.eventTypes()
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
        eventTypes: eventTypes
          .filter((type) => type.resource === name)
          .map((type) => ({
            event: type.event,
            description: type.description,
            schema: JSON.stringify(type.schema, null, 2),
            example: JSON.stringify(type.example, null, 2),
          })),
        ownerColumn: model.ownerColumn ?? null,
        subscriptions: subscribed.get(name) ?? 0,
      })),
    })
  }
}
