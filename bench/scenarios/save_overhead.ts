import { monotonicMs } from '../clock.js'
import { cpuPerEvent, medianCpu, type CpuUse } from '../cpu.js'
import { drained, type BenchContext } from '../host_app.js'
import { median, round } from '../stats.js'

type OrderModel = BenchContext['models']['PlainOrder'] | BenchContext['models']['Order']

interface Side {
  name: 'plain' | 'exo'
  model: OrderModel
}

/**
 * Microseconds per `Order.create`, one save after the other, each in its
 * own autocommit statement.
 */
async function timeCreates(model: OrderModel, userId: number, count: number) {
  const startedAt = monotonicMs()
  for (let index = 0; index < count; index++) {
    await model.create({ userId, total: index, status: 'paid' })
  }
  return ((monotonicMs() - startedAt) * 1000) / count
}

/**
 * Microseconds per transaction of `perTransaction` creates.
 */
async function timeTransactions(
  db: BenchContext['db'],
  model: OrderModel,
  userId: number,
  transactions: number,
  perTransaction: number
) {
  const startedAt = monotonicMs()
  for (let index = 0; index < transactions; index++) {
    await db.transaction(async (trx) => {
      for (let row = 0; row < perTransaction; row++) {
        await model.create({ userId, total: row, status: 'paid' }, { client: trx })
      }
    })
  }
  return ((monotonicMs() - startedAt) * 1000) / transactions
}

export interface SaveOverheadOptions {
  rounds: number
  /** Creates per round and side (one after the other), or transactions per round and side */
  count: number
  /** When set, the creates run in transactions of this many */
  perTransaction?: number
  /** Rounds per side before the measured ones */
  warmUpRounds: number
}

/**
 * `Order.create` with Exo (the Webhookable model, one matching subscription)
 * against the same model without Exo, on the same table, after a warm-up.
 * Rounds alternate which side goes first. Exo's queue is paused meanwhile, so
 * the workers' fan-out and delivery do not compete with the saves for the
 * CPU; the events queued are delivered before the figure is returned.
 */
export async function saveOverhead(
  ctx: BenchContext,
  userId: number,
  { rounds, count, perTransaction, warmUpRounds }: SaveOverheadOptions
) {
  const sides: Side[] = [
    { name: 'plain', model: ctx.models.PlainOrder },
    { name: 'exo', model: ctx.models.Order },
  ]
  const run = (side: Side, times: number) =>
    perTransaction
      ? timeTransactions(ctx.db, side.model, userId, times, perTransaction)
      : timeCreates(side.model, userId, times)

  const results: Record<Side['name'], number[]> = { plain: [], exo: [] }
  const cpu: Record<Side['name'], CpuUse[]> = { plain: [], exo: [] }
  await ctx.exoQueue.pause()
  try {
    for (const side of sides) await run(side, count * warmUpRounds)
    for (let index = 0; index < rounds; index++) {
      const order = index % 2 === 0 ? sides : [...sides].reverse()
      for (const side of order) {
        const measured = await cpuPerEvent(ctx.cpu, count * (perTransaction ?? 1), () =>
          run(side, count)
        )
        results[side.name].push(measured.result)
        cpu[side.name].push(measured.cpu)
      }
    }
  } finally {
    await ctx.exoQueue.resume()
  }
  await drained(ctx.exoQueue)

  const plain = median(results.plain)
  const exo = median(results.exo)
  const unit = perTransaction ? 'us_per_transaction' : 'us_per_create'
  const perSecond = perTransaction ? 'transactions_per_s' : 'creates_per_s'
  return {
    value: round(exo / plain, 3),
    detail: {
      ...(perTransaction ? { creates_per_transaction: perTransaction } : {}),
      [`plain_${unit}`]: round(plain, 1),
      [`exo_${unit}`]: round(exo, 1),
      [`plain_${perSecond}`]: round(1e6 / plain, 1),
      [`exo_${perSecond}`]: round(1e6 / exo, 1),
      cpu_ms_per_create: { plain: medianCpu(cpu.plain), exo: medianCpu(cpu.exo) },
      rounds: results.plain.map((value, index) => ({
        [`plain_${unit}`]: round(value, 1),
        [`exo_${unit}`]: round(results.exo[index], 1),
      })),
    },
  }
}
