import type { Queue } from 'bullmq'
import { monotonicMs } from '../clock.js'
import { drained, waitUntil, type BenchContext } from '../host_app.js'
import { median, round } from '../stats.js'

const DELIVER_JOB = 'adonis-exo/jobs/deliver'

/**
 * Attempts queued so far: those in delivery jobs waiting, plus those of
 * delivery jobs running (held by the receiver, so none completes while the
 * fan-out is timed). A delivery job carries up to 50 attempts.
 */
async function queuedAttempts(queue: Queue) {
  const jobs = await queue.getJobs(['wait', 'delayed', 'prioritized', 'paused', 'active'])
  return jobs
    .filter((job) => job?.name === DELIVER_JOB)
    .reduce((sum, job) => sum + job.data.deliveryIds.length, 0)
}

/**
 * A three-condition filter that the orders the scenario deletes meet when
 * `matches`, and miss on their total otherwise.
 */
function filterOf(matches: boolean) {
  return {
    'event': { $in: ['on_delete'] },
    'data.status': 'fan-out',
    'data.total': { $gte: matches ? 0 : 1 },
  }
}

/** Every other subscription, the first included, matches */
const matchesAt = (number: number) => number % 2 === 1

/**
 * `subscriptions` active subscriptions to the orders' `on_delete`, owned by
 * an admin: one created through the model, the others copied from its row
 * in bulk; when `filtered`, each with a filter that every other one meets.
 */
async function seedSubscriptions(
  ctx: BenchContext,
  ownerId: number,
  subscriptions: number,
  filtered: boolean
) {
  const { db } = ctx
  const first = await ctx.models.WebhookSubscription.create({
    userId: ownerId,
    name: 'Fan-out 1',
    url: ctx.receiver.url('/held'),
    resource: 'order',
    events: ['on_delete'],
    filter: filtered ? filterOf(matchesAt(1)) : null,
  })
  const { id, ...row } = await db.from('exo_subscriptions').where('id', first.id).firstOrFail()
  for (let from = 2; from <= subscriptions; from += 1000) {
    const to = Math.min(subscriptions, from + 999)
    const copies = Array.from({ length: to - from + 1 }, (_, index) => ({
      ...row,
      name: `Fan-out ${from + index}`,
      filter: filtered ? JSON.stringify(filterOf(matchesAt(from + index))) : null,
    }))
    await db.table('exo_subscriptions').multiInsert(copies)
  }
  await subscriptionsChanged(ctx)
  return filtered ? Math.ceil(subscriptions / 2) : subscriptions
}

async function subscriptionsChanged(ctx: BenchContext) {
  const exo = await ctx.app.container.make('exo.manager')
  await exo.subscriptionsChanged()
}

/**
 * One order deleted → `subscriptions` attempts queued: timed from the
 * `delete()` call until every attempt's job is in the queue. The receiver
 * holds the requests meanwhile, then lets them through; the time until the
 * last one arrives is kept too. When `filtered`, every subscription has a
 * filter of three conditions, which half of them let through: half as many
 * attempts.
 */
export async function fanOut(
  ctx: BenchContext,
  ownerId: number,
  {
    rounds,
    subscriptions,
    filtered = false,
  }: { rounds: number; subscriptions: number; filtered?: boolean }
) {
  const expected = await seedSubscriptions(ctx, ownerId, subscriptions, filtered)

  const timeOne = async () => {
    const order = await ctx.models.Order.create({ userId: ownerId, total: 0, status: 'fan-out' })
    // Its on_create goes to the benchmark's other subscription: out of the way first
    await drained(ctx.exoQueue)
    await ctx.receiver.hold()
    const { reached } = await ctx.receiver.expect(expected)
    const startedAt = monotonicMs()
    await order.delete()
    await waitUntil(
      'Attempts queued',
      async () => (await queuedAttempts(ctx.exoQueue)) >= expected,
      { intervalMs: 5, timeoutMs: 120_000 }
    )
    const queuedAt = monotonicMs()
    await ctx.receiver.release()
    const deliveredAt = await reached
    await drained(ctx.exoQueue)
    return { queuedS: (queuedAt - startedAt) / 1000, deliveredS: (deliveredAt - startedAt) / 1000 }
  }

  await timeOne()
  const results = []
  for (let index = 0; index < rounds; index++) results.push(await timeOne())

  await ctx.db
    .from('exo_subscriptions')
    .where('resource', 'order')
    .whereRaw(`events like '%on_delete%'`)
    .update({ is_active: false })
  await subscriptionsChanged(ctx)
  return {
    value: round3(median(results.map((result) => result.queuedS))),
    detail: {
      subscriptions,
      attempts: expected,
      all_delivered_s: round3(median(results.map((result) => result.deliveredS))),
      rounds: results.map((result) => ({
        queued_s: round3(result.queuedS),
        all_delivered_s: round3(result.deliveredS),
      })),
    },
  }
}

function round3(value: number) {
  return round(value, 3)
}
