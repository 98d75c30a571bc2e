import type { Exo } from '../../exo.js'
import type { HttpContext } from '@adonisjs/core/http'
import { ApiNotFound } from './api_middleware.js'
import { deliveryOf, ownedSubscription } from './api_context.js'
import { deliveriesQuery } from '../list_queries.js'
import { DEFAULT_PAGE_SIZE, page } from './pagination.js'
import { serializeDelivery, serializeDeliveryDetail } from './serializers.js'
import { listDeliveriesValidator, recoverValidator, replayValidator } from './validators.js'

async function ownedDelivery(ctx: HttpContext) {
  const subscription = await ownedSubscription(ctx)
  return { subscription, delivery: await deliveryOf(subscription, ctx.params.deliveryId) }
}

export default class DeliveriesController {
  constructor(private exo: Exo) {}

  async index(ctx: HttpContext) {
    const listed = async () => {
      const filters = await listDeliveriesValidator.validate(ctx.request.qs())
      const limit = filters.limit ?? DEFAULT_PAGE_SIZE
      return { limit, rows: await deliveriesQuery(ctx.params.id, filters, limit) }
    }
    // The page is read beside the ownership check, and shown only if it passes
    const [owned, read] = await Promise.allSettled([ownedSubscription(ctx), listed()])
    if (owned.status === 'rejected') throw owned.reason
    if (read.status === 'rejected') throw read.reason
    const { limit, rows } = read.value
    return page(
      rows,
      limit,
      (row) => row.id,
      (row) =>
        serializeDelivery({
          delivery: row,
          event: { event: row.$extras.event_name, resource: row.$extras.event_resource },
        })
    )
  }

  async show(ctx: HttpContext) {
    const { delivery } = await ownedDelivery(ctx)
    const event = await this.exo.outbox.find(delivery.eventId)
    if (!event) throw new ApiNotFound('The event of this delivery was pruned')
    return serializeDeliveryDetail(delivery, event)
  }

  async redeliver(ctx: HttpContext) {
    const { subscription, delivery } = await ownedDelivery(ctx)
    const id = await this.exo.subscriptions.redeliver(subscription, delivery)
    return ctx.response.status(202).send({ id, event_id: delivery.eventId })
  }

  async replay(ctx: HttpContext) {
    const subscription = await ownedSubscription(ctx)
    const input = await replayValidator.validate(ctx.request.body())
    const queued = await this.exo.subscriptions.replay(subscription, {
      eventId: input.event_id,
      since: input.since,
    })
    return ctx.response.status(202).send({ queued })
  }

  async recover(ctx: HttpContext) {
    const subscription = await ownedSubscription(ctx)
    const { dry_run: dryRun, ...window } = await recoverValidator.validate(ctx.request.body())
    const count = await this.exo.subscriptions.recover(subscription, window, { dryRun })
    if (dryRun) return { matched: count }
    return ctx.response.status(202).send({ queued: count })
  }
}
