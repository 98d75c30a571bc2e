import { createHmac } from 'node:crypto'
import { test } from '@japa/runner'
import Order from '#models/order'
import { subscribedReceiver } from '#tests/helpers/fixtures'
import { attemptsOf, deleteSubscriptions } from '#tests/helpers/api_fixtures'
import { ownWorker } from '#tests/helpers/worker'

/**
 * The workers sign and schedule retries, so these tests run a worker whose
 * config/exo.ts has EXO_TEST_DELIVERY=custom: `X-Acme-Signature` as its
 * signer, and three attempts, each retry at once, as its backoff.
 */
test.group('Custom signer and backoff | config/exo.ts swaps them in the worker', (group) => {
  ownWorker(group, { EXO_TEST_DELIVERY: 'custom' })
  group.each.teardown(deleteSubscriptions)

  test('the custom signer makes the signature headers, the others stay', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user, subscription } = await subscribedReceiver(cleanup)

    await Order.create({ userId: user.id, total: 1, status: 'new' })
    const [request] = await receiver.waitFor(1)

    const timestamp = request.headers['webhook-timestamp']
    const hmac = createHmac('sha256', subscription.secret)
      .update(`${timestamp}.${request.body}`)
      .digest('hex')
    assert.equal(request.headers['x-acme-signature'], `t=${timestamp},v1=${hmac}`)
    assert.notProperty(request.headers, 'x-exo-signature', 'replaced by the custom signer')
    assert.notProperty(request.headers, 'webhook-signature', 'replaced by the custom signer')

    assert.equal(request.headers['webhook-id'], request.json.id)
    assert.equal(request.headers['x-exo-event'], request.json.id)
    assert.match(String(request.headers['x-exo-delivery']), /^dlv_/)
    assert.equal(request.headers['content-type'], 'application/json')
    assert.equal(request.headers['user-agent'], 'Exo-Webhook/1.0')

    const [attempt] = await attemptsOf(subscription.id, ([first]) => first?.status === 'success')
    assert.equal(attempt.requestHeaders!['X-Acme-Signature'], request.headers['x-acme-signature'])
  })

  test('the custom backoff schedules the retries: at once, three attempts in all', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user, subscription } = await subscribedReceiver(cleanup, { status: 500 })

    await Order.create({ userId: user.id, total: 1, status: 'new' })
    // The contract's schedule would wait 30 s before the second attempt
    const requests = await receiver.waitFor(3, 10_000)
    assert.equal(requests[1].headers['webhook-id'], requests[0].headers['webhook-id'])
    assert.equal(requests[2].headers['webhook-id'], requests[0].headers['webhook-id'])

    // The next attempt is written with the failure it follows: none after the third
    const attempts = await attemptsOf(
      subscription.id,
      (rows) => rows.length >= 3 && rows.every((row) => row.status !== 'pending')
    )
    assert.deepEqual(
      attempts.map((row) => [row.attempt, row.status, row.httpStatus]),
      [
        [1, 'failed', 500],
        [2, 'failed', 500],
        [3, 'failed', 500],
      ]
    )
    for (const [previous, next] of [attempts.slice(0, 2), attempts.slice(1, 3)]) {
      const waited = next.scheduledAt.toMillis() - previous.completedAt!.toMillis()
      assert.isAtMost(waited, 1000, 'each retry was due at once')
    }
    assert.lengthOf(receiver.received, 3)
  })
})
