import { setTimeout as sleep } from 'node:timers/promises'
import { monotonicMs } from '../clock.js'
import { cpuPerEvent, medianCpu, type CpuUse } from '../cpu.js'
import type { BenchContext } from '../host_app.js'
import { Durations, median, round } from '../stats.js'

interface Timing {
  startedAt: number
  /** When the operation (the save, or the raw side's `queue.add`) resolved */
  resolvedAt: number
}

/**
 * Starts `count` operations at a steady `rate` per second, on schedule
 * whatever the previous ones take (an open loop), and returns when each
 * started and resolved on the monotonic clock, by the id its operation
 * resolves with.
 */
async function atSteadyRate(
  count: number,
  rate: number,
  operation: (index: number) => Promise<number>
) {
  const timings = new Map<number, Timing>()
  const pending: Promise<void>[] = []
  const interval = 1000 / rate
  const origin = monotonicMs()
  for (let index = 0; index < count; index++) {
    const due = origin + index * interval
    const wait = due - monotonicMs()
    if (wait > 1) await sleep(wait)
    const startedAt = monotonicMs()
    pending.push(
      operation(index).then((id) => void timings.set(id, { startedAt, resolvedAt: monotonicMs() }))
    )
  }
  await Promise.all(pending)
  return timings
}

/**
 * Each event's latency, start to receipt, and its two parts: the operation
 * the app awaits, and what follows until the receiver has the request; an
 * event that `receiptsEach` subscriptions receive counts once per receipt.
 */
export async function measure(
  ctx: BenchContext,
  count: number,
  rate: number,
  operation: (index: number) => Promise<number>,
  receiptsEach = 1
) {
  const { reached } = await ctx.receiver.expect(count * receiptsEach)
  const { result: timings, cpu } = await cpuPerEvent(ctx.cpu, count, async () => {
    const started = await atSteadyRate(count, rate, operation)
    await reached
    return started
  })
  const { ids, times } = await ctx.receiver.receipts()
  const total = new Durations()
  const operationPart = new Durations()
  const afterPart = new Durations()
  ids.forEach((id, index) => {
    const { startedAt, resolvedAt } = timings.get(id)!
    total.record(times[index] - startedAt)
    operationPart.record(resolvedAt - startedAt)
    afterPart.record(times[index] - resolvedAt)
  })
  return {
    ...total.summary(),
    operation: operationPart.summary(),
    after_operation: afterPart.summary(),
    cpu_ms_per_event: cpu,
  }
}

/** An order saved by `userId`, resolving with its id: the event each scenario times */
export function orderSaver(ctx: BenchContext, userId: number) {
  return async (index: number) => {
    const order = await ctx.models.Order.create({ userId, total: index, status: 'paid' })
    return order.id
  }
}

type Summary = ReturnType<Durations['summary']>
type Round = Awaited<ReturnType<typeof measure>>
type PlainRound = Summary & { cpu_ms_per_event: CpuUse }

/**
 * From `Order.create` to the receiver getting the request, at a steady rate
 * of saves with Exo's workers running; and from `queue.add` to the receipt
 * for the raw baseline at the same rate. Each side's figures come with
 * their two parts: the save (or the add) as the app awaits it, then the
 * rest of the way; and the same saves without Exo are timed at the same
 * rate, so that the host's own commit shows apart from Exo's work.
 */
export async function latency(
  ctx: BenchContext,
  userId: number,
  { rounds, events, rate }: { rounds: number; events: number; rate: number }
) {
  const exoRound = (count: number) => measure(ctx, count, rate, orderSaver(ctx, userId))
  const rawRound = (count: number) =>
    measure(ctx, count, rate, async (index) => {
      await ctx.rawQueue.add(
        'deliver',
        { id: index, total: index, status: 'paid' },
        { removeOnComplete: true }
      )
      return index
    })
  // The same save without Exo, and nothing to receive: what the host's own commit costs
  const plainRound = async (count: number) => {
    const { result: timings, cpu } = await cpuPerEvent(ctx.cpu, count, () =>
      atSteadyRate(count, rate, async (index) => {
        const order = await ctx.models.PlainOrder.create({ userId, total: index, status: 'paid' })
        return order.id
      })
    )
    const saves = new Durations()
    timings.forEach(({ startedAt, resolvedAt }) => saves.record(resolvedAt - startedAt))
    return { ...saves.summary(), cpu_ms_per_event: cpu }
  }

  // A whole round per side, not measured, as for the saves: after a fifth of
  // one, the first measured round still spent 40 to 50 % more CPU per event in
  // the Node processes of both sides than the rounds after it
  await rawRound(events)
  await exoRound(events)
  await plainRound(events)
  const exo: Round[] = []
  const raw: Round[] = []
  const plain: PlainRound[] = []
  for (let index = 0; index < rounds; index++) {
    if (index % 2 === 0) raw.push(await rawRound(events))
    exo.push(await exoRound(events))
    plain.push(await plainRound(events))
    if (index % 2 === 1) raw.push(await rawRound(events))
  }
  const medianOf = (rows: Summary[], key: keyof Omit<Summary, 'count'>) =>
    round(median(rows.map((row) => row[key])))
  const summary = (rows: Summary[]) => ({
    p50_ms: medianOf(rows, 'p50_ms'),
    p95_ms: medianOf(rows, 'p95_ms'),
    p99_ms: medianOf(rows, 'p99_ms'),
    max_ms: medianOf(rows, 'max_ms'),
  })
  const withCpu = (rows: PlainRound[]) => ({
    ...summary(rows),
    cpu_ms_per_event: medianCpu(rows.map((row) => row.cpu_ms_per_event)),
  })
  const withParts = (rows: Round[]) => ({
    ...withCpu(rows),
    operation: summary(rows.map((row) => row.operation)),
    after_operation: summary(rows.map((row) => row.after_operation)),
  })
  return {
    value: medianOf(exo, 'p99_ms'),
    detail: {
      rate_per_s: rate,
      events,
      exo: withParts(exo),
      raw: withParts(raw),
      plain_save: withCpu(plain),
      rounds: { exo, raw, plain_save: plain },
    },
  }
}
