import { randomBytes } from 'node:crypto'
import { test } from '@japa/runner'
import { Webhook } from 'standardwebhooks'
import exo from 'adonis-exo/services/main'
import env from '#start/env'
import Order from '#models/order'
import { createUser, subscribe } from '#tests/helpers/fixtures'
import { startReceiver } from '#tests/helpers/receiver'
import { startReceiverProcess } from '#tests/helpers/receiver_process'
import { attemptsOf, deleteSubscriptions } from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'

/** The secret the host app's own receiving route (start/routes.ts) verifies with */
const RECEIVER_SECRET = env.get('WEBHOOK_SECRET')!
const HOST_ROUTE = `http://127.0.0.1:${env.get('PORT')}/webhooks/exo`

/**
 * POSTs `body` as it is and returns the status and the JSON answer.
 */
async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  contentType = 'application/json'
) {
  const response = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': contentType, ...headers },
  })
  return { status: response.status, json: (await response.json()) as Record<string, any> }
}

/**
 * Standard Webhooks headers for `body`, signed by the standardwebhooks package.
 */
function standardHeaders(body: string, secret: string, at = new Date()) {
  const id = 'evt_TEST'
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  }
}

/**
 * The attempts of a subscription once they are all completed.
 */
function completedAttempts(subscriptionId: number, count: number) {
  return attemptsOf(
    subscriptionId,
    (rows) => rows.length === count && rows.every((row) => row.status !== 'pending')
  )
}

test.group('Receiver | verifyWebhookMiddleware in an AdonisJS app', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('a real delivery passes the middleware and reaches the handler with its payload', async ({
    assert,
  }) => {
    const user = await createUser()
    const subscription = await subscribe(user, HOST_ROUTE, { secret: RECEIVER_SECRET })
    await Order.create({ userId: user.id, total: 1, status: 'new' })

    const [attempt] = await completedAttempts(subscription.id, 1)
    assert.equal(attempt.status, 'success')
    assert.equal(attempt.httpStatus, 200)
    assert.deepEqual(JSON.parse(attempt.responseBody!), {
      received: attempt.eventId,
      event: 'on_create',
      resource: 'order',
    })
  })

  test('during a rotation grace period the old secret still verifies; after it, 401', async ({
    assert,
  }) => {
    const user = await createUser()
    const subscription = await subscribe(user, HOST_ROUTE, { secret: RECEIVER_SECRET })

    await exo.subscriptions.rotateSecret(subscription, 3600)
    await Order.create({ userId: user.id, total: 1, status: 'grace' })
    const [graced] = await completedAttempts(subscription.id, 1)
    assert.equal(graced.httpStatus, 200)

    await exo.subscriptions.rotateSecret(subscription, 0)
    await Order.create({ userId: user.id, total: 2, status: 'after' })
    const [, refused] = await attemptsOf(subscription.id, (rows) => rows[1]?.status === 'failed')
    assert.equal(refused.httpStatus, 401)
    assert.deepEqual(JSON.parse(refused.responseBody!), {
      code: 'E_INVALID_WEBHOOK_SIGNATURE',
      message: 'The "webhook-signature" header does not match the body under the secret',
    })
  })

  test('a replayed request within the tolerance passes, a tampered one does not', async ({
    assert,
    cleanup,
  }) => {
    const capture = await startReceiver()
    cleanup(() => capture.close())
    const user = await createUser()
    await subscribe(user, capture.url, { secret: RECEIVER_SECRET })
    await Order.create({ userId: user.id, total: 1, status: 'captured' })
    const [request] = await capture.waitFor(1)
    const headers = Object.fromEntries(
      ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => [
        name,
        String(request.headers[name]),
      ])
    )

    const replayed = await post(HOST_ROUTE, request.body, headers)
    assert.equal(replayed.status, 200, 'receivers dedupe on webhook-id')
    assert.equal(replayed.json.received, request.json.id)

    const tampered = await post(HOST_ROUTE, request.body.replace('captured', 'tampered'), headers)
    assert.equal(tampered.status, 401)
    assert.equal(tampered.json.code, 'E_INVALID_WEBHOOK_SIGNATURE')

    const moved = await post(HOST_ROUTE, request.body, {
      ...headers,
      'webhook-timestamp': String(Number(headers['webhook-timestamp']) + 1),
    })
    assert.equal(moved.json.code, 'E_INVALID_WEBHOOK_SIGNATURE')
  })

  test('old, missing or unsigned requests get a 401 saying why; a signed non-JSON body a 400, a huge one 413', async ({
    assert,
  }) => {
    const body =
      '{"id":"evt_TEST","event":"on_create","resource":"order","data":{},"timestamp":"x"}'
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000)
    const cases: [Record<string, string>, string, number, string, RegExp][] = [
      [standardHeaders(body, RECEIVER_SECRET), body, 200, '', /./],
      [
        standardHeaders(body, RECEIVER_SECRET, tenMinutesAgo),
        body,
        401,
        'E_INVALID_WEBHOOK_TIMESTAMP',
        /^The "webhook-timestamp" header is too old: 60\ds ago/,
      ],
      [{}, body, 401, 'E_MISSING_WEBHOOK_HEADER', /^Missing the "webhook-id" header$/],
      [
        standardHeaders(body, 'whsec_c2VjcmV0LW9mLXNvbWVib2R5LWVsc2U='),
        body,
        401,
        'E_INVALID_WEBHOOK_SIGNATURE',
        /does not match/,
      ],
      [
        standardHeaders('{not json', RECEIVER_SECRET),
        '{not json',
        400,
        'E_INVALID_WEBHOOK_PAYLOAD',
        /not JSON/,
      ],
      [{}, 'x'.repeat(1536 * 1024), 413, 'E_WEBHOOK_BODY_TOO_LARGE', /larger than 1 MiB/],
    ]
    // A type the bodyparser leaves alone: the middleware reads the body itself
    for (const [headers, sent, status, code, message] of cases) {
      const response = await post(HOST_ROUTE, sent, headers, 'application/octet-stream')
      assert.equal(response.status, status, code)
      if (status === 200) continue
      assert.equal(response.json.code, code)
      assert.match(response.json.message, message)
    }
  })
})

test.group('Receiver | verifyWebhook in a plain Node app', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('real deliveries verify, tampered copies are refused, and AdonisJS is never imported', async ({
    assert,
    cleanup,
  }) => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`
    const receiver = await startReceiverProcess('plain_node_receiver.mjs', {
      RECEIVER_SECRETS: ['whsec_b2xkLXNlY3JldC1ub3QtaW4tdXNl', secret].join(','),
    })
    cleanup(() => receiver.stop())
    const user = await createUser()
    const subscription = await subscribe(user, receiver.url, {
      secret,
      events: ['on_create', 'on_update'],
    })

    const order = await Order.create({ userId: user.id, total: 1, status: 'new' })
    order.status = 'paid'
    await order.save()

    const verified = await eventually(
      async () => receiver.requests().filter((line) => line.verified),
      (lines) => lines.length === 2
    )
    assert.sameMembers(
      verified.map((line) => `${line.verified.event}:${line.verified.data.status}`),
      ['on_create:new', 'on_update:paid']
    )
    const attempts = await completedAttempts(subscription.id, 2)
    assert.deepEqual(
      attempts.map((attempt) => attempt.httpStatus),
      [204, 204]
    )

    const [{ body, headers }] = verified
    const tampered = await post(receiver.url, body.replace(/"total":\d+/, '"total":999'), {
      'webhook-id': headers['webhook-id'],
      'webhook-timestamp': headers['webhook-timestamp'],
      'webhook-signature': headers['webhook-signature'],
    })
    assert.equal(tampered.status, 401)
    assert.deepEqual(tampered.json, {
      code: 'E_INVALID_WEBHOOK_SIGNATURE',
      message: 'The "webhook-signature" header does not match the body under the secret',
    })
    assert.isNull(receiver.exitCode(), 'the receiver is still running')
  })
})
