import { monotonicMs } from '../clock.js'
import { cpuPerEvent, medianCpu } from '../cpu.js'
import { pool, waitUntil, type BenchContext } from '../host_app.js'
import { median, round } from '../stats.js'

type Round = Awaited<ReturnType<typeof rawRound>>

async function loggedSuccesses({ db }: BenchContext, subscriptionId: number) {
  const row = await db
    .from('exo_deliveries')
    .where('subscription_id', subscriptionId)
    .where('status', 'success')
    .count('* as total')
    .first()
  return Number(row.total)
}

/**
 * Exo: `events` orders are saved while the queue is paused (each save
 * queues its event), then the clock starts and the queue resumes; it stops
 * once the receiver has every request and every attempt is logged as a
 * success. In between: events written to the outbox, matched and fanned
 * out, attempts written, signed, sent and their outcome recorded.
 */
async function exoRound(ctx: BenchContext, userId: number, subscriptionId: number, events: number) {
  await ctx.exoQueue.pause()
  await pool(events, 10, (index) =>
    ctx.models.Order.create({ userId, total: index, status: 'paid' })
  )
  const before = await loggedSuccesses(ctx, subscriptionId)
  const { reached } = await ctx.receiver.expect(events)

  return cpuPerEvent(ctx.cpu, events, async () => {
    const startedAt = monotonicMs()
    await ctx.exoQueue.resume()
    await reached
    await waitUntil('Attempts logged', async () => {
      return (await loggedSuccesses(ctx, subscriptionId)) >= before + events
    })
    return events / ((monotonicMs() - startedAt) / 1000)
  })
}

/**
 * The raw baseline: the same number of jobs added while its queue is paused,
 * timed from resuming to the last request received.
 */
async function rawRound(ctx: BenchContext, events: number) {
  await ctx.rawQueue.pause()
  await ctx.rawQueue.addBulk(
    Array.from({ length: events }, (_, index) => ({
      name: 'deliver',
      data: { id: index, total: index, status: 'paid' },
      opts: { removeOnComplete: true },
    }))
  )
  const { reached } = await ctx.receiver.expect(events)
  return cpuPerEvent(ctx.cpu, events, async () => {
    const startedAt = monotonicMs()
    await ctx.rawQueue.resume()
    return (events / ((await reached) - startedAt)) * 1000
  })
}

export async function throughput(
  ctx: BenchContext,
  target: { userId: number; subscriptionId: number },
  { rounds, events }: { rounds: number; events: number }
) {
  const exoRounds: Round[] = []
  const rawRounds: Round[] = []
  await rawRound(ctx, Math.ceil(events / 5))
  await exoRound(ctx, target.userId, target.subscriptionId, Math.ceil(events / 5))
  for (let index = 0; index < rounds; index++) {
    if (index % 2 === 0) rawRounds.push(await rawRound(ctx, events))
    exoRounds.push(await exoRound(ctx, target.userId, target.subscriptionId, events))
    if (index % 2 === 1) rawRounds.push(await rawRound(ctx, events))
  }
  const exo = exoRounds.map(({ result }) => result)
  const raw = rawRounds.map(({ result }) => result)
  return {
    value: round(median(exo) / median(raw), 3),
    detail: {
      events,
      exo_deliveries_per_s: round(median(exo), 0),
      raw_deliveries_per_s: round(median(raw), 0),
      cpu_ms_per_delivery: {
        exo: medianCpu(exoRounds.map(({ cpu }) => cpu)),
        raw: medianCpu(rawRounds.map(({ cpu }) => cpu)),
      },
      rounds: exo.map((value, index) => ({
        exo_deliveries_per_s: round(value, 0),
        raw_deliveries_per_s: round(raw[index], 0),
        exo_cpu_ms_per_delivery: exoRounds[index].cpu,
        raw_cpu_ms_per_delivery: rawRounds[index].cpu,
      })),
    },
  }
}
