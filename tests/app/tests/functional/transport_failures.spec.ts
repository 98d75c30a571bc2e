import { createServer, type Server } from 'node:http'
import { createServer as createTlsServer, Server as TlsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { test } from '@japa/runner'
import type { TestContext } from '@japa/runner/core'
import selfsigned from 'selfsigned'
import { WebhookDelivery, WebhookSubscription } from 'adonis-exo'
import Order from '#models/order'
import { createUser, subscribe } from '#tests/helpers/fixtures'
import { closedUrl } from '#tests/helpers/receiver'
import { attemptsOf, deleteSubscriptions } from '#tests/helpers/api_fixtures'

/**
 * Listens on loopback until the test ends: the hook URL of `server`.
 */
async function listen(server: Server | TlsServer, cleanup: TestContext['cleanup']) {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup(() => {
    server.closeAllConnections()
    server.close()
  })
  const scheme = server instanceof TlsServer ? 'https' : 'http'
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
}

/**
 * The first attempt at the subscription, once its outcome is logged.
 */
async function firstAttempt(subscription: WebhookSubscription) {
  const attempts = await attemptsOf(subscription.id, (rows) =>
    rows.some((row) => row.attempt === 1 && row.status !== 'pending')
  )
  return attempts.find((row) => row.attempt === 1)!
}

/**
 * Subscribes a new user to `url`, creates an order of theirs, and waits for
 * the first attempt at it to complete.
 */
async function firstAttemptAt(url: string) {
  const user = await createUser()
  const subscription = await subscribe(user, url)
  await Order.create({ userId: user.id, total: 1, status: 'new' })
  return { subscription, attempt: await firstAttempt(subscription) }
}

test.group('Transport failures are failed attempts, logged and retried', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('a receiver that hangs past the timeout', async ({ assert, cleanup }) => {
    const server = createServer(() => {})
    const { subscription, attempt } = await firstAttemptAt(await listen(server, cleanup))
    assert.equal(attempt.status, 'failed')
    assert.isNull(attempt.httpStatus)
    assert.match(attempt.error!, /Timed out after 2000ms/)
    assert.isAtLeast(attempt.durationMs!, 1900)
    const retry = await WebhookDelivery.query()
      .where('subscription_id', subscription.id)
      .where('attempt', 2)
      .first()
    assert.equal(retry?.status, 'pending')
  })

  test('a receiver that closes the socket', async ({ assert, cleanup }) => {
    const server = createServer((request) => request.socket.destroy())
    const { attempt } = await firstAttemptAt(await listen(server, cleanup))
    assert.equal(attempt.status, 'failed')
    assert.isNull(attempt.httpStatus)
    assert.match(attempt.error!, /other side closed|ECONNRESET/)
  })

  test('nothing listening', async ({ assert }) => {
    const { subscription, attempt } = await firstAttemptAt(await closedUrl())
    assert.equal(attempt.status, 'failed')
    assert.match(attempt.error!, /ECONNREFUSED/)
    await subscription.refresh()
    assert.equal(subscription.failureCount, 1)
  })

  test('a receiver whose TLS certificate is not trusted', async ({ assert, cleanup }) => {
    const { cert, private: key } = await selfsigned.generate([
      { name: 'commonName', value: '127.0.0.1' },
    ])
    const answered: string[] = []
    const server = createTlsServer({ cert, key }, (request, response) => {
      answered.push(request.url!)
      response.end('ok')
    })
    const { attempt } = await firstAttemptAt(await listen(server, cleanup))
    assert.equal(attempt.status, 'failed')
    assert.isNull(attempt.httpStatus)
    assert.match(attempt.error!, /self[- ]signed certificate/)
    assert.deepEqual(answered, [], 'no request was sent over the untrusted connection')
  })

  test('a host name that stopped resolving after the subscription was created', async ({
    assert,
  }) => {
    // Subscribed as the API would have accepted it while the name still resolved
    const { subscription, attempt } = await firstAttemptAt('http://gone.exo-test.invalid/hook')
    assert.equal(attempt.status, 'failed')
    assert.isNull(attempt.httpStatus)
    assert.match(attempt.error!, /ENOTFOUND|EAI_AGAIN/)
    await subscription.refresh()
    assert.equal(subscription.failureCount, 1)
  })
})
