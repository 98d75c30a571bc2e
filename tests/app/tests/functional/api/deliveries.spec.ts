import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from '@japa/runner'
import type { TestContext } from '@japa/runner/core'
import Order from '#models/order'
import type { ExoApi } from '#tests/helpers/api'
import {
  apiSubscribedReceiver,
  apiSubscription,
  attemptsOf,
  createSubscription,
  deleteSubscriptions,
  DELIVERY_KEYS,
  errorFields,
  itemIds,
  succeededFirstAttempt,
  walkPages,
} from '#tests/helpers/api_fixtures'
import { startReceiver } from '#tests/helpers/receiver'

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

/**
 * The URL of a receiver that answers every request with `body`, closed when
 * the test ends.
 */
async function startBigReceiver(body: string, cleanup: TestContext['cleanup']) {
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'text/plain' })
      response.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  cleanup(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return `http://127.0.0.1:${port}/hook`
}

/**
 * Pings the subscription: the ping's answer, and the attempt it logged.
 */
async function pinged(api: ExoApi, id: number) {
  const ping = await api.post(`/webhooks/${id}/ping`)
  const [attempt] = await attemptsOf(id)
  return { ping, attempt }
}

async function pings(api: ExoApi, id: number, count: number) {
  for (let index = 0; index < count; index++) await api.post(`/webhooks/${id}/ping`)
}

test.group('API | GET /webhooks/:id/deliveries', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('lists attempts newest first with exactly the Delivery object keys', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { receiver, user, api, id } = await apiSubscribedReceiver({ client, cleanup })

    await Order.create({ userId: user.id, total: 1, status: 'new' })
    await receiver.waitFor(1)
    const [logged] = await attemptsOf(
      id,
      (rows) => rows.length === 1 && rows[0].status === 'success'
    )
    await pings(api, id, 2)

    const response = await api.get(`/webhooks/${id}/deliveries`)
    response.assertStatus(200)
    const body = response.body()
    assert.deepEqual(Object.keys(body), ['data', 'has_more', 'next_cursor'])
    assert.isFalse(body.has_more)
    assert.isNull(body.next_cursor)
    assert.lengthOf(body.data, 3)
    for (const item of body.data) assert.sameMembers(Object.keys(item), DELIVERY_KEYS)

    const sentIds = receiver.received.map((request) => request.headers['x-exo-delivery'])
    assert.deepEqual(itemIds(body), [...sentIds].reverse())
    const [order] = body.data.slice(-1)
    assert.deepEqual(
      { ...order, duration_ms: 0, created_at: '' },
      {
        id: sentIds[0],
        subscription_id: id,
        event_id: receiver.received[0].json.id,
        ...succeededFirstAttempt('on_create'),
        duration_ms: 0,
        created_at: '',
      }
    )
    assert.strictEqual(order.duration_ms, logged.durationMs, 'the logged duration')
    assert.match(order.created_at, ISO_UTC)
  })

  test('filters by status', async ({ client, assert, cleanup }) => {
    const { receiver, user, api, id } = await apiSubscribedReceiver(
      { client, cleanup },
      { status: 500 }
    )

    // A failed attempt and its scheduled retry
    await Order.create({ userId: user.id, total: 1, status: 'new' })
    await attemptsOf(id, (rows) => rows.length === 2)
    receiver.respondWith(200)
    await pings(api, id, 1)

    const statuses: Record<string, unknown[]> = {}
    for (const status of ['pending', 'success', 'failed']) {
      const response = await api.get(`/webhooks/${id}/deliveries`).qs({ status })
      response.assertStatus(200)
      statuses[status] = response
        .body()
        .data.map((item: { event: string; attempt: number; status: string }) => [
          item.event,
          item.attempt,
          item.status,
        ])
    }
    assert.deepEqual(statuses, {
      pending: [['on_create', 2, 'pending']],
      success: [['ping', 1, 'success']],
      failed: [['on_create', 1, 'failed']],
    })
  })

  test('walking the pages with the cursor returns every attempt exactly once', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { receiver, api, id } = await apiSubscribedReceiver({ client, cleanup })
    await pings(api, id, 5)

    const all = await api.get(`/webhooks/${id}/deliveries`)
    const expected = itemIds(all.body())
    assert.lengthOf(expected, 5)
    assert.deepEqual(
      expected,
      receiver.received.map((request) => request.headers['x-exo-delivery']).reverse()
    )

    const pages = await walkPages(api, `/webhooks/${id}/deliveries`, { limit: 2 })
    assert.lengthOf(pages, 3)
    assert.deepEqual(itemIds(...pages), expected)
  })

  test('lists only the attempts of that subscription', async ({ client, assert, cleanup }) => {
    const { receiver, api, id } = await apiSubscribedReceiver({ client, cleanup })
    const other = await createSubscription(api, receiver.url)
    await pings(api, id, 1)
    await pings(api, other.id, 2)

    const response = await api.get(`/webhooks/${id}/deliveries`)
    assert.lengthOf(response.body().data, 1)
    assert.equal(response.body().data[0].subscription_id, id)
  })

  test('refuses {title} with a 422 naming {field}')
    .with([
      { title: 'status=done', query: { status: 'done' }, field: 'status' },
      { title: 'limit=0', query: { limit: 0 }, field: 'limit' },
      { title: 'limit=201', query: { limit: 201 }, field: 'limit' },
      { title: 'a bad cursor', query: { cursor: 'garbage' }, field: 'cursor' },
      {
        title: 'a subscription cursor',
        query: { cursor: Buffer.from('[5]').toString('base64url') },
        field: 'cursor',
      },
    ])
    .run(async ({ client, assert }, { query, field }) => {
      const { api, id } = await apiSubscription(client, 'https://example.com/hook')
      const response = await api.get(`/webhooks/${id}/deliveries`).qs(query)
      response.assertStatus(422)
      assert.deepEqual(errorFields(response), [field])
    })
})

test.group('API | GET /webhooks/:id/deliveries/:deliveryId', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('shows the attempt with its request and response', async ({ client, assert, cleanup }) => {
    const { receiver, user, api, id } = await apiSubscribedReceiver(
      { client, cleanup },
      {
        body: {
          headers: { 'X-Team': 'a' },
        },
      }
    )
    await Order.create({ userId: user.id, total: 7, status: 'new' })
    const [sent] = await receiver.waitFor(1)
    const [attempt] = await attemptsOf(id, (rows) => rows[0]?.status === 'success')

    const response = await api.get(`/webhooks/${id}/deliveries/${attempt.id}`)
    response.assertStatus(200)
    const body = response.body()
    assert.sameMembers(Object.keys(body), [
      ...DELIVERY_KEYS,
      'scheduled_at',
      'completed_at',
      'request',
      'response',
    ])
    assert.containsSubset(body, {
      id: attempt.id,
      subscription_id: id,
      event_id: sent.json.id,
      ...succeededFirstAttempt('on_create'),
    })
    assert.match(body.completed_at, ISO_UTC)
    assert.deepEqual(Object.keys(body.request).sort(), ['body', 'headers'])
    assert.equal(body.request.body, sent.body)
    assert.containsSubset(body.request.headers, {
      'Content-Type': 'application/json',
      'User-Agent': 'Exo-Webhook/1.0',
      'X-Exo-Event': sent.json.id,
      'X-Exo-Delivery': attempt.id,
      'X-Exo-Signature': sent.headers['x-exo-signature'],
      'webhook-id': sent.json.id,
      'webhook-timestamp': sent.headers['webhook-timestamp'],
      'webhook-signature': sent.headers['webhook-signature'],
      'X-Team': 'a',
    })
    assert.deepEqual(Object.keys(body.response).sort(), ['body', 'headers', 'status'])
    assert.equal(body.response.status, 200)
    assert.equal(body.response.body, 'ok')
    assert.equal(body.response.headers['x-receiver'], 'test')
  })

  test('a failed attempt shows what the receiver answered', async ({ client, assert, cleanup }) => {
    const { api, id } = await apiSubscribedReceiver({ client, cleanup }, { status: 500 })
    const { attempt } = await pinged(api, id)

    const response = await api.get(`/webhooks/${id}/deliveries/${attempt.id}`)
    assert.containsSubset(response.body(), {
      status: 'failed',
      http_status: 500,
      error: 'HTTP 500',
      response: { status: 500, body: 'nope' },
    })
  })

  test('an attempt that never connected has an empty response', async ({ client, assert }) => {
    const receiver = await startReceiver()
    await receiver.close()
    const { api, id } = await apiSubscription(client, receiver.url)
    const { attempt } = await pinged(api, id)

    const response = await api.get(`/webhooks/${id}/deliveries/${attempt.id}`)
    response.assertStatus(200)
    assert.equal(response.body().status, 'failed')
    assert.isNull(response.body().http_status)
    assert.isString(response.body().error)
    assert.deepEqual(response.body().response, { status: null, headers: null, body: null })
    assert.isObject(response.body().request.headers)
  })

  test('a pending attempt has no response yet', async ({ client, assert, cleanup }) => {
    const { receiver, user, api, id } = await apiSubscribedReceiver(
      { client, cleanup },
      { status: 500 }
    )
    await Order.create({ userId: user.id, total: 1, status: 'new' })
    const attempts = await attemptsOf(id, (rows) => rows.length === 2)
    const pending = attempts.find((row) => row.status === 'pending')!

    const response = await api.get(`/webhooks/${id}/deliveries/${pending.id}`)
    response.assertStatus(200)
    assert.containsSubset(response.body(), {
      status: 'pending',
      attempt: 2,
      http_status: null,
      error: null,
      duration_ms: null,
      completed_at: null,
      response: null,
    })
    assert.equal(response.body().request.body, receiver.received[0].body)
  })

  test('a response body larger than 64 KiB is cut at 64 KiB', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { api, id } = await apiSubscription(
      client,
      await startBigReceiver('a'.repeat(100 * 1024), cleanup)
    )
    const { ping, attempt } = await pinged(api, id)
    ping.assertStatus(200)

    const response = await api.get(`/webhooks/${id}/deliveries/${attempt.id}`)
    response.assertStatus(200)
    assert.equal(response.body().status, 'success')
    assert.equal(response.body().response.body, 'a'.repeat(64 * 1024))
  })

  test('a binary response body is stored as text', async ({ client, assert, cleanup }) => {
    const { api, id } = await apiSubscription(
      client,
      await startBigReceiver('a\u0000b\u00ff', cleanup)
    )
    const { ping, attempt } = await pinged(api, id)
    ping.assertStatus(200)

    const response = await api.get(`/webhooks/${id}/deliveries/${attempt.id}`)
    assert.equal(response.body().status, 'success')
    assert.match(response.body().response.body, /^a.b\u00ff$/)
  })

  test('credentials are not in the stored request headers', async ({ client, assert, cleanup }) => {
    const { receiver, api, id } = await apiSubscribedReceiver(
      { client, cleanup },
      {
        body: {
          auth: { type: 'basic', username: 'u', password: 'basic-password-123' },
          secret_header: { name: 'X-Webhook-Secret', value: 'shared-secret-value' },
        },
      }
    )
    const { attempt } = await pinged(api, id)
    const [sent] = receiver.received
    assert.equal(sent.headers['x-webhook-secret'], 'shared-secret-value')

    const response = await api.get(`/webhooks/${id}/deliveries/${attempt.id}`)
    const headers = response.body().request.headers
    const text = JSON.stringify(response.body())
    assert.notInclude(text, 'basic-password-123')
    assert.notInclude(text, Buffer.from('u:basic-password-123').toString('base64'))
    assert.notInclude(text, 'shared-secret-value')
    assert.notInclude(text, 'receiver-token')
    assert.notEqual(headers['Authorization'], sent.headers['authorization'])
    assert.notEqual(headers['X-Webhook-Secret'], 'shared-secret-value')
  })

  test('a bearer token is not in the stored request headers', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { receiver, api, id } = await apiSubscribedReceiver(
      { client, cleanup },
      {
        body: {
          auth: { type: 'bearer', token: 'receiver-token-xyz' },
        },
      }
    )
    const { attempt } = await pinged(api, id)
    assert.equal(receiver.received[0].headers['authorization'], 'Bearer receiver-token-xyz')

    const response = await api.get(`/webhooks/${id}/deliveries/${attempt.id}`)
    assert.notInclude(JSON.stringify(response.body()), 'receiver-token-xyz')
  })

  test('an unknown delivery id is a 404: {title}')
    .with([
      { title: 'no such id', deliveryId: () => 'dlv_01J00000000000000000000000' },
      { title: 'not an attempt id', deliveryId: () => 'nope' },
      { title: 'a NUL character, which PostgreSQL refuses in text', deliveryId: () => 'dlv_%00' },
    ])
    .run(async ({ client, assert }, { deliveryId }) => {
      const { api, id } = await apiSubscription(client, 'https://example.com/hook')
      const response = await api.get(`/webhooks/${id}/deliveries/${deliveryId()}`)
      response.assertStatus(404)
      assert.deepEqual(Object.keys(response.body()), ['message'])
    })

  test('an attempt of another subscription of the same user is a 404', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { receiver, api, id } = await apiSubscribedReceiver({ client, cleanup })
    const other = await createSubscription(api, receiver.url)
    const { attempt } = await pinged(api, other.id)

    const response = await api.get(`/webhooks/${id}/deliveries/${attempt.id}`)
    response.assertStatus(404)
    assert.deepEqual(Object.keys(response.body()), ['message'])
  })
})
