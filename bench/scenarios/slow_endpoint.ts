import { waitUntil, type BenchContext } from '../host_app.js'
import { median, round } from '../stats.js'
import { measure, orderSaver } from './latency.js'

/** Subscriptions whose receiver answers at once: the run's own and these */
const HEALTHY = 20

/**
 * What the workers of this scenario are started with: a request given up
 * after 5 s, and the hanging endpoint never disabled, so that it hangs from
 * the first round to the last.
 */
export const SLOW_ENDPOINT_ENV = { EXO_DELIVERY_TIMEOUT: '5s', EXO_AUTO_DISABLE_AFTER: '1000000' }
const TIMEOUT_MS = 5000

async function subscriptionsChanged(ctx: BenchContext) {
  const exo = await ctx.app.container.make('exo.manager')
  await exo.subscriptionsChanged()
}

/**
 * Fairness: orders saved at a steady rate (open loop), each received by 20
 * healthy subscriptions of an admin to `on_create`, while a 21st subscription's endpoint,
 * on another origin, holds every request for the whole delivery timeout.
 * The figure is the p99 of save → receipt over the healthy receipts, against
 * the same saves with the 21st subscription inactive. Rounds of both kinds
 * alternate; after a round with the hanging endpoint, the next waits until
 * none of its requests is open.
 */
export async function slowEndpoint(
  ctx: BenchContext,
  { ownerId, userId }: { ownerId: number; userId: number },
  { rounds, events, rate }: { rounds: number; events: number; rate: number }
) {
  const { WebhookSubscription } = ctx.models
  const healthy = await WebhookSubscription.createMany(
    Array.from({ length: HEALTHY - 1 }, (_, index) => ({
      userId: ownerId,
      name: `Healthy ${index + 2}`,
      url: ctx.receiver.url(`/healthy/${index + 2}`),
      resource: 'order',
      events: ['on_create'],
    }))
  )
  const hanging = await WebhookSubscription.create({
    userId: ownerId,
    name: 'Hanging',
    url: ctx.receiver.hangingUrl(),
    resource: 'order',
    events: ['on_create'],
    isActive: false,
  })
  const save = orderSaver(ctx, userId)

  const timedRound = async (withHanging: boolean) => {
    hanging.merge({ isActive: withHanging, failureCount: 0 })
    await hanging.save()
    await subscriptionsChanged(ctx)
    const result = await measure(ctx, events, rate, save, HEALTHY)
    if (withHanging) {
      hanging.isActive = false
      await hanging.save()
      await subscriptionsChanged(ctx)
      await waitUntil(
        'The hanging requests ended',
        async () => (await ctx.receiver.hangingOpen()) === 0,
        { intervalMs: 100 }
      )
    }
    return result
  }

  await timedRound(true)
  await timedRound(false)
  type Round = Awaited<ReturnType<typeof timedRound>>
  const withIt: Round[] = []
  const without: Round[] = []
  for (let index = 0; index < rounds; index++) {
    if (index % 2 === 0) without.push(await timedRound(false))
    withIt.push(await timedRound(true))
    if (index % 2 === 1) without.push(await timedRound(false))
  }

  await WebhookSubscription.query()
    .whereIn('id', [hanging.id, ...healthy.map((subscription) => subscription.id)])
    .update({ is_active: false })
  await subscriptionsChanged(ctx)
  const p99 = (rows: Round[]) => round(median(rows.map((row) => row.p99_ms)))
  const p50 = (rows: Round[]) => round(median(rows.map((row) => row.p50_ms)))
  return {
    value: round(p99(withIt) / p99(without)),
    detail: {
      rate_per_s: rate,
      events,
      healthy_subscriptions: HEALTHY,
      timeout_ms: TIMEOUT_MS,
      with_hanging: { p50_ms: p50(withIt), p99_ms: p99(withIt) },
      without_hanging: { p50_ms: p50(without), p99_ms: p99(without) },
      rounds: { with_hanging: withIt, without_hanging: without },
    },
  }
}
