import type { Exo } from '../../exo.js'
import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import { Duration } from 'luxon'
import { deliveryOf } from '../api/api_context.js'
import { page } from '../api/pagination.js'
import {
  serializeDeliveryDetail,
  serializeEndpointHealth,
  serializeSubscription,
} from '../api/serializers.js'
import {
  listDeliveriesValidator,
  replayValidator,
  rotateSecretValidator,
} from '../api/validators.js'
import { deliveriesQuery } from '../list_queries.js'
import { activityChart, CHART_RANGES, type ChartRange } from './activity_chart.js'
import type { Dashboard } from './dashboard.js'
import { dashboardSubscription, userEmails } from './dashboard_context.js'
import { text } from './subscription_form.js'

const ACTIVITY_PAGE_SIZE = 20
/** The periods of the health panel */
const HEALTH_WINDOWS = ['24h', '7d'] as const

/**
 * A subscription's page: its settings, its health, chart and activity log, and the
 * actions on it (ping, rotate the secret, redeliver, replay).
 */
export default class SubscriptionPageController {
  constructor(
    private dashboard: Dashboard,
    private exo: Exo
  ) {}

  async show(ctx: HttpContext) {
    const subscription = await dashboardSubscription(this.exo, ctx)
    const qs = ctx.request.qs()
    const filters = await listDeliveriesValidator.validate(qs)
    const range: ChartRange = qs.range in CHART_RANGES ? qs.range : '24h'

    const rows = await deliveriesQuery(subscription.id, filters, ACTIVITY_PAGE_SIZE, {
      detail: true,
    }).select('exo_events.data as event_data', 'exo_events.occurred_at as event_occurred_at')
    const activity = page(
      rows,
      ACTIVITY_PAGE_SIZE,
      (row) => row.id,
      (row) =>
        serializeDeliveryDetail(row, {
          id: row.eventId,
          event: row.$extras.event_name,
          resource: row.$extras.event_resource,
          data: row.$extras.event_data,
          occurredAt: row.$extras.event_occurred_at,
        })
    )
    const emails = await userEmails(this.exo, [subscription.userId, subscription.updatedBy])
    const health = await Promise.all(
      HEALTH_WINDOWS.map((window) => this.exo.stats.of(subscription.id, window))
    )

    return this.dashboard.render(ctx, 'pages/webhooks/show', {
      subscription: serializeSubscription(subscription),
      owner: emails.get(Number(subscription.userId)) ?? null,
      updatedBy:
        subscription.updatedBy === null
          ? null
          : (emails.get(Number(subscription.updatedBy)) ?? null),
      // Shown once, right after create or rotate: the flash is gone on the next page
      secret: this.dashboard.flash.get(ctx, 'exo_secret', null),
      health: health.map(serializeEndpointHealth),
      chart: await activityChart(db, subscription.id, range),
      activity: activity.data,
      nextCursor: activity.next_cursor,
      status: filters.status ?? null,
    })
  }

  async ping(ctx: HttpContext) {
    const subscription = await dashboardSubscription(this.exo, ctx)
    const result = await this.exo.subscriptions.ping(subscription)
    const answered = result.httpStatus !== null ? `HTTP ${result.httpStatus}` : result.error
    if (result.error === null && result.httpStatus! >= 200 && result.httpStatus! < 300) {
      this.dashboard.notify(ctx, 'success', `Ping answered ${answered} in ${result.durationMs} ms`)
    } else {
      this.dashboard.notify(ctx, 'error', `Ping failed: ${answered} after ${result.durationMs} ms`)
    }
    return ctx.response.redirect().toRoute('exo.webhooks.show', { id: subscription.id })
  }

  async rotateSecret(ctx: HttpContext) {
    const subscription = await dashboardSubscription(this.exo, ctx)
    const { grace_period: gracePeriod } = await rotateSecretValidator.validate(ctx.request.body())
    const secret = await this.exo.subscriptions.rotateSecret(subscription, gracePeriod)
    this.dashboard.flash.set(ctx, 'exo_secret', secret)
    this.dashboard.notify(
      ctx,
      'success',
      gracePeriod
        ? `Secret rotated: the old one keeps signing for ${Duration.fromObject({ seconds: gracePeriod }).rescale().toHuman()}`
        : 'Secret rotated: the old one no longer signs'
    )
    return ctx.response.redirect().toRoute('exo.webhooks.show', { id: subscription.id })
  }

  async redeliver(ctx: HttpContext) {
    const subscription = await dashboardSubscription(this.exo, ctx)
    const delivery = await deliveryOf(subscription, ctx.params.deliveryId)
    await this.exo.subscriptions.redeliver(subscription, delivery)
    this.dashboard.notify(ctx, 'success', `Event ${delivery.eventId} queued for a new attempt`)
    return ctx.response.redirect().toRoute('exo.webhooks.show', { id: subscription.id })
  }

  async replay(ctx: HttpContext) {
    const subscription = await dashboardSubscription(this.exo, ctx)
    const body = ctx.request.body()
    const input = await replayValidator.validate({
      event_id: text(body.event_id),
      since: text(body.since),
    })
    const queued = await this.exo.subscriptions.replay(subscription, {
      eventId: input.event_id,
      since: input.since,
    })
    this.dashboard.notify(
      ctx,
      'success',
      queued === 1 ? '1 event queued again' : `${queued} events queued again`
    )
    return ctx.response.redirect().toRoute('exo.webhooks.show', { id: subscription.id })
  }
}
