import { createServer } from 'node:http'
import { test } from '@japa/runner'
import type { TestContext } from '@japa/runner/core'
import exo from 'adonis-exo/services/main'
import Order from '#models/order'
import { attemptsOf, deleteSubscriptions } from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'
import { createUser, subscribe } from '#tests/helpers/fixtures'
import { listenOnLoopback, receiverFor } from '#tests/helpers/receiver'
import { hasBullQueue, runningWorker, startWorker } from '#tests/helpers/worker'

/**
 * A subscription whose receiver never answers: each request stays open
 * until its sender gives up on it. The receiver counts the requests it
 * holds and those whose connection closed; closed when the test ends.
 */
async function hangingSubscription(cleanup: TestContext['cleanup']) {
  const counts = { open: 0, closed: 0 }
  const server = createServer((request, response) => {
    request.resume()
    counts.open++
    response.once('close', () => {
      counts.open--
      counts.closed++
    })
  })
  const url = await listenOnLoopback(server, cleanup)
  const user = await createUser()
  const subscription = await subscribe(user, url, { name: 'Hanging' })
  return { counts, user, subscription }
}

/**
 * CONTRACT §7: one subscription's receiver hanging on every request does
 * not hold up the others. The worker runs two jobs at once.
 */
test.group('Fairness | a hanging receiver', (group) => {
  group.each.teardown(deleteSubscriptions)
  group.each.setup(async () => {
    await runningWorker.current!.stop()
    return async () => {
      await runningWorker.current!.stop()
      await startWorker()
    }
  })

  test('the other subscriptions get every event while its requests are still held open', async ({
    assert,
    cleanup,
  }) => {
    const events = 6
    const { counts, user, subscription: stuck } = await hangingSubscription(cleanup)
    const healthy = await receiverFor(cleanup)
    await subscribe(user, healthy.url, { name: 'Healthy 1' })
    await subscribe(user, healthy.url, { name: 'Healthy 2' })
    // Its requests are given up after 30 s, far longer than the test takes
    const worker = await startWorker({
      env: { QUEUE_CONCURRENCY: '2', EXO_DELIVERY_TIMEOUT: '30s' },
    })
    const slow = worker.printed(new RegExp(`receiver of subscription ${stuck.id} is slow`))

    await Order.create({ userId: user.id, total: 1, status: 'new' })
    await eventually(
      () => counts.open,
      (open) => open === 1,
      { what: 'the first request held' }
    )
    // The worker takes the subscription as slow while that request is still under way
    await slow
    for (let total = 2; total <= events; total++) {
      await Order.create({ userId: user.id, total, status: 'new' })
    }

    await healthy.waitFor(events * 2)
    assert.equal(counts.closed, 0, 'no request to the hanging receiver has ended yet')
    assert.isAtLeast(counts.open, 1, 'the hanging receiver holds requests open')

    // Each event has one attempt at the hanging subscription, none counted as failed
    const attempts = await attemptsOf(stuck.id, (rows) => rows.length === events)
    assert.deepEqual(
      attempts.map((attempt) => [attempt.attempt, attempt.status]),
      Array.from({ length: events }, () => [1, 'pending'])
    )
    // Starting and stopping workers with requests held open takes a while
  }).timeout(120_000)

  test('without a worker on the slow lane, a slow receiver is still sent to, from the main queue', async ({
    assert,
    cleanup,
  }) => {
    const events = 3
    const { user, subscription: stuck } = await hangingSubscription(cleanup)
    // bull-queue's listener on the main queue only, its requests given up after 2 s
    const worker = await startWorker({
      queues: [exo.config.queue],
      env: { QUEUE_CONCURRENCY: '2' },
    })
    const warned = worker.printed(/no worker listens on the slow lane/)

    for (let total = 1; total <= events; total++) {
      await Order.create({ userId: user.id, total, status: 'new' })
    }

    await warned
    const attempts = await attemptsOf(
      stuck.id,
      (rows) => rows.filter((row) => row.attempt === 1 && row.status === 'failed').length === events
    )
    for (const attempt of attempts.filter((row) => row.attempt === 1)) {
      assert.match(attempt.error!, /^Timed out/)
    }
  })
    // exo:work always listens on the slow lanes; bull-queue's listener is AdonisJS 6's
    .skip(() => !hasBullQueue(), 'queue:listen is AdonisJS 6 only')
    .timeout(120_000)
})
