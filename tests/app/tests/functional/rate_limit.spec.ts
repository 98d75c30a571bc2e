import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { WebhookDelivery } from 'adonis-exo'
import exo from 'adonis-exo/services/main'
import Order from '#models/order'
import { createUser, subscribe } from '#tests/helpers/fixtures'
import { startReceiver } from '#tests/helpers/receiver'
import { startReceiverProcess } from '#tests/helpers/receiver_process'
import { attemptsOf, deleteSubscriptions } from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'
import { runningWorker, startWorker, workerEmitted } from '#tests/helpers/worker'

const RATE_LIMIT = 10
const EVENTS = 60

/** The most requests that arrived within any one second, however it is cut */
function busiestSecond(requests: { arrivedAt: number }[]) {
  const times = requests.map((request) => request.arrivedAt).sort((a, b) => a - b)
  let most = 0
  let first = 0
  for (let last = 0; last < times.length; last++) {
    while (times[last] - times[first] >= 1000) first++
    most = Math.max(most, last - first + 1)
  }
  return most
}

test.group('Rate limit | a subscription’s rate_limit holds across workers', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('two workers send at most rate_limit a second, each event once, none failed; others go at full speed', async ({
    assert,
    cleanup,
  }) => {
    // A second worker process beside the run's own: exo:work, where the first may be bull-queue's
    const runsWorker = runningWorker.current
    const second = await startWorker({ exoWork: true })
    cleanup(async () => {
      await second.stop()
      runningWorker.current = runsWorker
    })
    // Arrivals noted in a process of its own: the test's work would delay them here
    const limitedReceiver = await startReceiverProcess('arrivals_receiver.mjs')
    cleanup(() => limitedReceiver.stop())
    const freeReceiver = await startReceiver({ cleanup })
    const admin = await createUser({ isAdmin: true })
    const limited = await subscribe(admin, limitedReceiver.url, { rateLimit: RATE_LIMIT })
    await subscribe(admin, freeReceiver.url)

    // In one transaction, fanned out together: the limited attempts take their turns at once,
    // and the fan-out's work is over before most turns come
    await db.transaction(async (trx) => {
      for (let index = 0; index < EVENTS; index++) {
        await Order.create({ userId: admin.id, total: index, status: 'new' }, { client: trx })
      }
    })

    // The subscription without a limit gets every event while the limited one still drains
    await freeReceiver.waitFor(EVENTS, 60_000)
    assert.isBelow(limitedReceiver.requests().length, EVENTS)

    const received = await eventually(
      async () => limitedReceiver.requests(),
      (requests) => requests.length >= EVENTS,
      { timeout: 90_000, what: `${EVENTS} requests to the limited subscription` }
    )
    const attempts = await attemptsOf(
      limited.id,
      (rows) => rows.length >= EVENTS && rows.every((row) => row.status !== 'pending')
    )
    assert.lengthOf(received, EVENTS)
    assert.lengthOf(new Set(received.map((request) => request.webhookId)), EVENTS)
    assert.isAtMost(busiestSecond(received), Math.floor(RATE_LIMIT * 1.1))

    // Waiting was neither a failure nor another attempt
    assert.lengthOf(attempts, EVENTS)
    for (const attempt of attempts) {
      assert.equal(attempt.status, 'success')
      assert.equal(attempt.attempt, 1)
    }
    await limited.refresh()
    assert.equal(limited.failureCount, 0)

    // Both workers sent to the limited subscription: the limit is shared, not per process
    const sent = await workerEmitted(
      'exo:delivery:succeeded',
      (payload) => payload.subscriptionId === Number(limited.id),
      EVENTS
    )
    assert.lengthOf(new Set(sent.map((event) => event.pid)), 2)
  }).timeout(180_000)

  test('an attempt waiting its turn is due then, keeps its job, and the sweeper queues it no second time', async ({
    assert,
    cleanup,
  }) => {
    const receiver = await startReceiver({ cleanup })
    const user = await createUser()
    const subscription = await subscribe(user, receiver.url, { rateLimit: 1 })
    // In one transaction, so that one fan-out asks for the three turns at once
    await db.transaction(async (trx) => {
      for (let index = 0; index < 3; index++) {
        await Order.create({ userId: user.id, total: index, status: 'new' }, { client: trx })
      }
    })

    // One a second: the first goes, the two others are put back to wait their turns
    const waiting = await eventually(
      () =>
        WebhookDelivery.query()
          .where('subscription_id', subscription.id)
          .where('status', 'pending')
          .whereNull('started_at')
          // whereLike adds a collation MariaDB refuses on utf8mb4
          .where('job_id', 'like', 'wait%'),
      (rows) => rows.length === 2,
      { what: 'Two attempts waiting their turn' }
    )
    // Due at their turn, so that the sweeper does not find them overdue
    const sent = await WebhookDelivery.query()
      .where('subscription_id', subscription.id)
      .whereNotIn(
        'id',
        waiting.map((attempt) => attempt.id)
      )
      .firstOrFail()
    for (const attempt of waiting) {
      assert.isAbove(attempt.scheduledAt.toMillis(), sent.scheduledAt.toMillis() + 500)
    }
    // However late the sweeper thinks it is, it finds their jobs and queues them no second time
    const swept = await exo.sweeper.sweep(Date.now() + 10 * 60_000)
    assert.isAtLeast(swept.attempts, 2)

    const attempts = await attemptsOf(
      subscription.id,
      (rows) => rows.length === 3 && rows.every((row) => row.status === 'success')
    )
    assert.deepEqual(
      attempts.map((attempt) => attempt.attempt),
      [1, 1, 1]
    )
    assert.lengthOf(receiver.received, 3)
    assert.lengthOf(new Set(receiver.received.map((request) => request.headers['webhook-id'])), 3)
  })
})
