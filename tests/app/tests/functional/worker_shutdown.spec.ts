import { createServer, type ServerResponse } from 'node:http'
import { once } from 'node:events'
import { test } from '@japa/runner'
import type { TestContext } from '@japa/runner/core'
import Order from '#models/order'
import { attemptsOf, deleteSubscriptions } from '#tests/helpers/api_fixtures'
import { createUser, subscribe } from '#tests/helpers/fixtures'
import { listenOnLoopback } from '#tests/helpers/receiver'
import { hasBullQueue, runningWorker, startWorker } from '#tests/helpers/worker'

/**
 * A subscription at a loopback receiver that holds the first request it
 * gets (emitting `held` with its response) and answers the others at once;
 * closed when the test ends.
 */
async function holdingReceiver(cleanup: TestContext['cleanup']) {
  let requests = 0
  const server = createServer((request, response) => {
    request.resume()
    if (++requests === 1) return server.emit('held', response)
    response.end('ok')
  })
  const url = await listenOnLoopback(server, cleanup)
  const user = await createUser()
  const subscription = await subscribe(user, url)
  return { user, subscription, held: once(server, 'held') as Promise<[ServerResponse]> }
}

/**
 * A worker exits within 10 s of SIGTERM (what Docker and systemd send on
 * every deploy), whether or not it has run a job, its attempts under way
 * logged first. `stop()` sends SIGTERM and kills the worker only after 10 s.
 */
test.group('Workers | SIGTERM', (group) => {
  group.each.teardown(deleteSubscriptions)
  group.each.setup(async () => {
    await runningWorker.current!.stop()
    return async () => {
      await startWorker()
    }
  })

  test('an idle {$self} exits')
    // bull-queue's queue:listen exists on AdonisJS 6 only
    .with(() => (hasBullQueue() ? ['exo:work', 'queue:listen'] : ['exo:work']))
    .run(async ({ assert }, command) => {
      const worker = await startWorker({ exoWork: command === 'exo:work' })
      const { killed } = await worker.stop()
      assert.isFalse(killed, `${command} exited by itself`)
    })

  test('exo:work lets the attempt under way finish and logs it before it exits', async ({
    assert,
    cleanup,
  }) => {
    const { user, subscription, held } = await holdingReceiver(cleanup)

    const worker = await startWorker({ exoWork: true })
    await Order.create({ userId: user.id, total: 3, status: 'new' })
    const [response] = await held

    const stopping = worker.printed(/stopping its workers/)
    worker.terminate()
    await stopping
    response.end('ok')
    const { killed } = await worker.stop()
    assert.isFalse(killed)
    const [attempt] = await attemptsOf(subscription.id, (attempts) => attempts.length > 0)
    assert.equal(attempt.status, 'success', 'logged by the worker before it exited')
    assert.equal(attempt.httpStatus, 200)
  })

  test('a receiver that never answers: the worker stops its attempt, logs it interrupted and exits', async ({
    assert,
    cleanup,
  }) => {
    // The first request is held for good, as a hung receiver does
    const { user, subscription, held } = await holdingReceiver(cleanup)

    // With the default timeout of production, longer than the 10 s a worker is given
    const worker = await startWorker({ exoWork: true, env: { EXO_DELIVERY_TIMEOUT: '30s' } })
    await Order.create({ userId: user.id, total: 4, status: 'new' })
    await held

    const { killed } = await worker.stop()
    assert.isFalse(killed, 'it exited within 10 s, before the 30 s timeout of its request')
    const [interrupted, next] = await attemptsOf(
      subscription.id,
      (attempts) => attempts.length === 2
    )
    assert.equal(interrupted.status, 'failed')
    assert.match(interrupted.error!, /^Interrupted/)
    assert.equal(next.status, 'pending', 'the next attempt waits for a worker')

    const again = await startWorker({ exoWork: true })
    cleanup(() => again.stop().then(() => {}))
    const [, sent] = await attemptsOf(
      subscription.id,
      (attempts) => attempts.length === 2 && attempts[1].status === 'success'
    )
    assert.equal(sent.httpStatus, 200)
  })
})
