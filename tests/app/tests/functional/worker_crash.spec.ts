import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from '@japa/runner'
import type { TestContext } from '@japa/runner/core'
import { WebhookDelivery } from 'adonis-exo'
import env from '#start/env'
import Order from '#models/order'
import { createUser, subscribe } from '#tests/helpers/fixtures'
import { runningWorker, startWorker } from '#tests/helpers/worker'
import { deleteSubscriptions } from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'

/**
 * A receiver on loopback, closed after the test, that answers only when the
 * test says so, a subscription to it, and a way to save an order for it.
 */
async function heldRequests(cleanup: TestContext['cleanup']) {
  const requests: IncomingMessage[] = []
  const responses: ServerResponse[] = []
  const server = createServer((request, response) => {
    requests.push(request)
    responses.push(response)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup(() => {
    server.closeAllConnections()
    server.close()
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
  const user = await createUser()
  const subscription = await subscribe(user, url)
  const saveOrder = () => Order.create({ userId: user.id, total: 1, status: 'new' })
  /** Waits until `count` requests are held */
  const held = (count: number, timeout?: number) =>
    eventually(
      () => requests.length,
      (length) => length >= count,
      { timeout, what: `${count} held requests` }
    )
  return { requests, responses, subscription, saveOrder, held }
}

test.group('Worker crash | an attempt cut short by a killed worker is sent again', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('SIGKILL mid-attempt: the event still arrives, with the same webhook-id, and both requests are logged', async ({
    assert,
    cleanup,
  }) => {
    const { requests, responses, subscription, saveOrder, held } = await heldRequests(cleanup)

    // The first request is left hanging: the worker is killed while it waits.
    await saveOrder()
    await held(1)
    await runningWorker.current!.kill()
    await startWorker()

    // BullMQ gives the stalled job to the new worker
    await held(2, 30_000)
    responses[1].end('ok')
    const [cut, resent] = requests
    assert.equal(resent.headers['webhook-id'], cut.headers['webhook-id'])
    assert.notEqual(resent.headers['x-exo-delivery'], cut.headers['x-exo-delivery'])

    // Both requests are in the log: the cut one as interrupted, the next as sent
    const interrupted = await WebhookDelivery.findOrFail(String(cut.headers['x-exo-delivery']))
    assert.equal(interrupted.status, 'failed')
    assert.match(interrupted.error!, /^Interrupted: /)
    const attempt = await eventually(
      () => WebhookDelivery.find(String(resent.headers['x-exo-delivery'])),
      (row) => row?.status === 'success',
      { what: 'The resent attempt logged as sent' }
    )
    assert.equal(attempt!.attempt, interrupted.attempt + 1)
    assert.equal(attempt!.subscriptionId, subscription.id)
    await subscription.refresh()
    assert.equal(subscription.failureCount, 0, 'an interruption is not the receiver’s failure')
  })
})

test.group('Worker stop | SIGTERM lets the attempt under way finish', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('the attempt under way is logged as sent, sent once, and the worker exits by itself', async ({
    assert,
    cleanup,
  }) => {
    const { requests, responses, subscription, saveOrder, held } = await heldRequests(cleanup)

    // A worker of the orders' queue alone: every queue it listens to runs Exo's jobs
    await runningWorker.current!.stop()
    const worker = await startWorker({ queues: [env.get('EXO_QUEUE', 'exo-webhooks')] })
    cleanup(async () => {
      await startWorker()
    })

    await saveOrder()
    await held(1)
    // Answered only once the worker has heard SIGTERM, and while it waits
    const stopping = worker.printed(/stopping its workers/)
    const stopped = worker.stop()
    await stopping
    responses[0].end('ok')

    const { killed } = await stopped
    assert.isFalse(killed, 'the worker exited on SIGTERM')
    assert.lengthOf(requests, 1, 'the attempt was not sent again')
    const attempts = await WebhookDelivery.query().where('subscription_id', subscription.id)
    assert.lengthOf(attempts, 1)
    assert.equal(attempts[0].status, 'success')
  })
})
