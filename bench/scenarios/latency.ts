import { setTimeout as sleep } from 'node:timers/promises'
import { monotonicMs } from '../clock.js'
import type { BenchContext } from '../host_app.js'
import { Durations, median, round } from '../stats.js'

/**
 * Starts `count` operations at a steady `rate` per second, on schedule
 * whatever the previous ones take (an open loop), and returns the monotonic
 * time each started at, by the id its operation resolves with.
 */
async function atSteadyRate(
  count: number,
  rate: number,
  operation: (index: number) => Promise<number>
) {
  const startedAt = new Map<number, number>()
  const pending: Promise<void>[] = []
  const interval = 1000 / rate
  const origin = monotonicMs()
  for (let index = 0; index < count; index++) {
    const due = origin + index * interval
    const wait = due - monotonicMs()
    if (wait > 1) await sleep(wait)
    const start = monotonicMs()
    pending.push(operation(index).then((id) => void startedAt.set(id, start)))
  }
  await Promise.all(pending)
  return startedAt
}

async function measure(
  ctx: BenchContext,
  count: number,
  rate: number,
  operation: (index: number) => Promise<number>
) {
  const { reached } = await ctx.receiver.expect(count)
  const startedAt = await atSteadyRate(count, rate, operation)
  await reached
  const { ids, times } = await ctx.receiver.receipts()
  const latencies = new Durations()
  ids.forEach((id, index) => latencies.record(times[index] - startedAt.get(id)!))
  return latencies.summary()
}

/**
 * From `Order.create` to the receiver getting the request, at a steady rate
 * of saves with Exo's workers running; and from `queue.add` to the receipt
 * for the raw baseline at the same rate.
 */
export async function latency(
  ctx: BenchContext,
  userId: number,
  { rounds, events, rate }: { rounds: number; events: number; rate: number }
) {
  const exoRound = (count: number) =>
    measure(ctx, count, rate, async (index) => {
      const order = await ctx.models.Order.create({ userId, total: index, status: 'paid' })
      return order.id
    })
  const rawRound = (count: number) =>
    measure(ctx, count, rate, async (index) => {
      await ctx.rawQueue.add(
        'deliver',
        { id: index, total: index, status: 'paid' },
        { removeOnComplete: true }
      )
      return index
    })

  await rawRound(Math.ceil(events / 5))
  await exoRound(Math.ceil(events / 5))
  const exo: ReturnType<Durations['summary']>[] = []
  const raw: ReturnType<Durations['summary']>[] = []
  for (let index = 0; index < rounds; index++) {
    if (index % 2 === 0) raw.push(await rawRound(events))
    exo.push(await exoRound(events))
    if (index % 2 === 1) raw.push(await rawRound(events))
  }
  const medianOf = (rows: typeof exo, key: 'p50_ms' | 'p95_ms' | 'p99_ms' | 'max_ms') =>
    round(median(rows.map((row) => row[key])))
  const summary = (rows: typeof exo) => ({
    p50_ms: medianOf(rows, 'p50_ms'),
    p95_ms: medianOf(rows, 'p95_ms'),
    p99_ms: medianOf(rows, 'p99_ms'),
    max_ms: medianOf(rows, 'max_ms'),
  })
  return {
    value: medianOf(exo, 'p99_ms'),
    detail: {
      rate_per_s: rate,
      events,
      exo: summary(exo),
      raw: summary(raw),
      rounds: { exo, raw },
    },
  }
}
