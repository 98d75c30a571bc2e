import { writeFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64'
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus'
import { WebhookDelivery } from 'adonis-exo'
import Order from '#models/order'
import { createUser, subscribe } from '#tests/helpers/fixtures'
import { startFlakyReceiver, type FlakyReceiver } from '#tests/helpers/flaky_receiver'
import { eventually } from '#tests/helpers/eventually'
import { PrivateRedis } from '#tests/helpers/redis_server'
import { runningWorker, startWorker, type Worker } from '#tests/helpers/worker'

/**
 * 20,000 events (SOAK_EVENTS) through two worker processes to receivers that
 * fail a fifth of the requests at random, while faults are injected: five
 * worker SIGKILLs, a Redis restart, the receivers down for 60 s, every
 * database connection dropped. Then the receipts are checked against the
 * activity log: every event delivered, every request logged, nothing lost.
 *
 * Reproduce a run with SOAK_SEED=<the seed it printed>.
 */
const EVENTS = Number(process.env.SOAK_EVENTS ?? 20_000)
const SEED = process.env.SOAK_SEED ? Number(process.env.SOAK_SEED) : Date.now() % 2 ** 31
const GENERATION_MS = 90_000
const OUTAGE_MS = Number(process.env.SOAK_OUTAGE_MS ?? 60_000)
const FAILURE_RATE = 0.2

const rng = xoroshiro128plus(SEED)
const random = () => uniformFloat64(rng)
const between = (low: number, high: number) => low + (high - low) * random()

interface Fault {
  at: number
  name: string
  run: () => Promise<void>
}

/**
 * The two workers the soak runs on, one of which a fault replaces now and then.
 */
class WorkerPair {
  constructor(public workers: Worker[]) {}

  async killOne() {
    const index = Math.floor(random() * this.workers.length)
    await this.workers[index].kill()
    this.workers[index] = await startWorker()
  }
}

function faultPlan(workers: WorkerPair, receivers: FlakyReceiver[]): Fault[] {
  const redis = PrivateRedis.current!
  const kills = Array.from({ length: 5 }, () => between(5_000, 95_000))
  return [
    ...kills.map((at) => ({ at, name: 'worker SIGKILL', run: () => workers.killOne() })),
    {
      at: between(25_000, 35_000),
      name: 'Redis restart',
      run: async () => {
        await redis.stop('SIGTERM')
        // The fault itself: Redis stays away for 2 s
        await sleep(2_000)
        await redis.start()
      },
    },
    {
      at: between(40_000, 50_000),
      name: `receivers down for ${OUTAGE_MS / 1000} s`,
      run: async () => {
        await Promise.all(receivers.map((receiver) => receiver.stop()))
        setTimeout(() => receivers.forEach((receiver) => receiver.start()), OUTAGE_MS)
      },
    },
    {
      at: between(55_000, 65_000),
      name: 'database connections dropped',
      run: async () => {
        await db.rawQuery(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid()`
        )
      },
    },
  ].sort((a, b) => a.at - b.at)
}

/**
 * Runs the faults one after another at their moments, from `start`.
 */
async function inject(faults: Fault[], start: number, log: string[]) {
  for (const fault of faults) {
    // Until the fault's moment in the run: the plan's schedule, not a wait for an outcome
    await sleep(Math.max(0, start + fault.at - Date.now()))
    log.push(`${((Date.now() - start) / 1000).toFixed(1)}s ${fault.name}`)
    await fault.run()
  }
}

/**
 * Creates EVENTS orders spread over GENERATION_MS, alternating owners, and
 * counts the saves that failed (the database dropped mid-way).
 */
async function generate(userIds: number[]) {
  let failedSaves = 0
  const batches = 100
  const perBatch = Math.ceil(EVENTS / batches)
  const start = Date.now()
  for (let batch = 0; batch < batches; batch++) {
    const saves = []
    for (let index = batch * perBatch; index < Math.min(EVENTS, (batch + 1) * perBatch); index++) {
      const userId = userIds[index % userIds.length]
      saves.push(
        Order.create({ userId, total: index, status: 'soak' }).catch(() => {
          failedSaves++
        })
      )
    }
    await Promise.all(saves)
    // Paces the saves over GENERATION_MS: the load's rate, not a wait for an outcome
    await sleep(Math.max(0, start + ((batch + 1) * GENERATION_MS) / batches - Date.now()))
  }
  return failedSaves
}

/**
 * Waits until the receivers answered 200 for every order and no attempt is
 * pending; returns the orders still missing at the deadline.
 */
async function waitUntilDelivered(orderIds: Set<number>, receivers: FlakyReceiver[]) {
  const progress = async () => {
    const delivered = new Set(
      receivers.flatMap((receiver) =>
        receiver.receipts.filter((receipt) => receipt.answered === 200).map((r) => r.orderId)
      )
    )
    const missing = [...orderIds].filter((id) => !delivered.has(id))
    const pending = await WebhookDelivery.query().where('status', 'pending').first()
    return { missing, pending: pending !== null }
  }
  const settled = ({ missing, pending }: Awaited<ReturnType<typeof progress>>) =>
    missing.length === 0 && !pending
  try {
    await eventually(progress, settled, { timeout: 15 * 60_000, every: 1_000 })
    return []
  } catch {
    const { missing } = await progress()
    return missing
  }
}

test.group('Soak | at least once, under load and faults', () => {
  test('every event delivered, every request logged, none lost', async ({ assert, cleanup }) => {
    console.log(`soak: ${EVENTS} events, seed ${SEED}`)
    const receivers = [
      await startFlakyReceiver(FAILURE_RATE, random),
      await startFlakyReceiver(FAILURE_RATE, random),
    ]
    cleanup(async () => {
      await Promise.all(receivers.map((receiver) => receiver.stop()))
    })
    const users = [await createUser(), await createUser()]
    const subscriptions = await Promise.all(
      users.map((user, index) => subscribe(user, receivers[index].url()))
    )
    const workers = new WorkerPair([runningWorker.current!, await startWorker()])

    const start = Date.now()
    const faultLog: string[] = []
    const [failedSaves] = await Promise.all([
      generate(users.map((user) => user.id)),
      inject(faultPlan(workers, receivers), start, faultLog),
    ])

    // Every saved order counts, even one whose save answered an error
    const saved = await Order.query().where('status', 'soak').select('id')
    const orderIds = new Set(saved.map((order) => order.id))
    const missing = await waitUntilDelivered(orderIds, receivers)
    const seconds = (Date.now() - start) / 1000

    const subscriptionIds = subscriptions.map((subscription) => subscription.id)
    const attempts = await WebhookDelivery.query().whereIn('subscription_id', subscriptionIds)
    const logged = new Map(attempts.map((attempt) => [attempt.id, attempt]))
    const receipts = receivers.flatMap((receiver) => receiver.receipts)
    const interrupted = (attempt: WebhookDelivery) => !!attempt.error?.startsWith('Interrupted: ')
    const timedOut = (attempt: WebhookDelivery) => !!attempt.error?.startsWith('Timed out after ')
    const unlogged = receipts.filter((receipt) => {
      const attempt = logged.get(receipt.deliveryId)
      if (!attempt || attempt.eventId !== receipt.eventId) return true
      // The receiver may answer after the worker stopped waiting: the log says why it did
      if (interrupted(attempt) || timedOut(attempt)) return false
      return receipt.answered === 200
        ? attempt.status !== 'success'
        : attempt.status !== 'failed' || attempt.httpStatus !== receipt.answered
    })
    const sentTwice = receipts.length - new Set(receipts.map((r) => r.deliveryId)).size
    const eventsPerOrder = new Map<number, Set<string>>()
    for (const receipt of receipts) {
      eventsPerOrder.set(
        receipt.orderId,
        (eventsPerOrder.get(receipt.orderId) ?? new Set()).add(receipt.eventId)
      )
    }
    const recordedTwice = [...eventsPerOrder.values()].filter((ids) => ids.size > 1).length
    const successes = receipts.filter((receipt) => receipt.answered === 200)
    const deliveredAgain = successes.length - new Set(successes.map((r) => r.eventId)).size
    const byOutcome = (predicate: (attempt: WebhookDelivery) => boolean) =>
      attempts.filter(predicate).length

    const report = {
      seed: SEED,
      events: orderIds.size,
      saves_that_answered_an_error: failedSaves,
      faults: faultLog,
      seconds: Math.round(seconds),
      attempts: attempts.length,
      attempts_succeeded: byOutcome((attempt) => attempt.status === 'success'),
      attempts_failed_http: byOutcome(
        (attempt) => attempt.status === 'failed' && attempt.httpStatus !== null
      ),
      attempts_failed_transport: byOutcome(
        (attempt) =>
          attempt.status === 'failed' &&
          attempt.httpStatus === null &&
          !interrupted(attempt) &&
          !timedOut(attempt)
      ),
      attempts_timed_out: byOutcome(timedOut),
      attempts_interrupted: byOutcome(interrupted),
      attempts_pending: byOutcome((attempt) => attempt.status === 'pending'),
      requests_received: receipts.length,
      requests_not_logged: unlogged.length,
      attempt_ids_received_twice: sentTwice,
      // Each one a logged attempt: an interrupted or timed-out one the receiver had answered
      extra_successful_deliveries: deliveredAgain,
      orders_recorded_as_two_events: recordedTwice,
      lost: missing.length,
    }
    console.table({ ...report, faults: faultLog.join('; ') })
    await writeFile(app.tmpPath('reliability-soak.json'), JSON.stringify(report, null, 2))

    assert.lengthOf(faultLog, 8, 'every fault was injected')
    assert.deepEqual(missing.slice(0, 20), [], 'every saved order was delivered')
    assert.equal(report.requests_not_logged, 0, 'every request is an attempt in the log')
    assert.equal(sentTwice, 0, 'no attempt was sent twice')
    assert.equal(recordedTwice, 0, 'no change was recorded as two events')
    assert.equal(report.attempts_pending, 0, 'no attempt is left pending')
  }).timeout(25 * 60_000)
})
