import { randomBytes } from 'node:crypto'
import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import { WebhookDelivery, WebhookSubscription } from 'adonis-exo'
import Order from '#models/order'
import type User from '#models/user'
import { apiPath, tokenFor } from '#tests/helpers/api'
import { createUser } from '#tests/helpers/fixtures'
import { EVERY_OPTIONAL_FIELD } from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'
import { apiRoutes, OpenApiValidator, redoclyProblems } from '#tests/helpers/openapi'
import { closedUrl, startReceiver, type Receiver } from '#tests/helpers/receiver'

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

interface CallOptions {
  token?: string
  params?: Record<string, string | number>
  qs?: Record<string, string | number | boolean> | string
  /** Sent as JSON */
  body?: unknown
  /** Sent as is, as application/json */
  raw?: string
  headers?: Record<string, string>
}

let spec: OpenApiValidator | undefined
/** `METHOD /path status` of every answer validated against the document */
const seen = new Set<string>()

async function documentFrom(client: ApiClient) {
  if (!spec) {
    const response = await client.get(apiPath('/openapi.json'))
    if (response.status() !== 200) {
      throw new Error(`GET /openapi.json answered ${response.status()}: ${response.text()}`)
    }
    spec = new OpenApiValidator(response.body())
  }
  return spec
}

/**
 * Calls the API for real and checks the answer against the OpenAPI document
 * the server serves: the status must be listed for the operation and the
 * body must match its schema.
 */
async function call(client: ApiClient, method: Method, route: string, options: CallOptions = {}) {
  const document = await documentFrom(client)
  const path = route.replace(/:([A-Za-z]+)/g, (_, name: string) =>
    encodeURIComponent(String(options.params![name]))
  )
  let request = client.request(apiPath(path), method)
  if (options.token) request = request.bearerToken(options.token)
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    request = request.header(name, value)
  }
  if (options.qs !== undefined) {
    request =
      typeof options.qs === 'string' ? request.qs(options.qs, undefined) : request.qs(options.qs)
  }
  if (options.raw !== undefined) request = request.type('application/json').unsafeJson(options.raw)
  else if (options.body !== undefined) request = request.json(options.body as object)
  const response = await request

  const status = response.status()
  let body: unknown
  if (status === 204) {
    if (response.text()) throw new Error(`${method} ${path} 204 has a body: ${response.text()}`)
  } else {
    if (response.type() !== 'application/json') {
      throw new Error(
        `${method} ${path} answered ${status} as ${response.type()}, not JSON: ${response.text()}`
      )
    }
    body = response.body()
  }
  document.validateResponse(method, route, status, body)
  seen.add(`${method} ${document.pathOf(route)} ${status}`)
  return { status, body: body as any }
}

async function bearer(user: User) {
  const { value } = await tokenFor(user)
  return value
}

function attemptId() {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
  return `dlv_${[...randomBytes(26)].map((byte) => alphabet[byte % 32]).join('')}`
}

/**
 * A pending attempt of the subscription at the event, due tomorrow: no
 * request was sent for it yet.
 */
function pendingAttempt(subscriptionId: number, eventId: string, attempt: number) {
  return WebhookDelivery.create({
    id: attemptId(),
    subscriptionId,
    eventId,
    attempt,
    status: 'pending',
    httpStatus: null,
    error: null,
    durationMs: null,
    requestHeaders: null,
    responseHeaders: null,
    responseBody: null,
    scheduledAt: DateTime.now().plus({ days: 1 }),
    completedAt: null,
  })
}

const OPERATIONS: { method: Method; route: string }[] = [
  { method: 'GET', route: '/whoami' },
  { method: 'GET', route: '/resources' },
  { method: 'GET', route: '/event-types' },
  { method: 'GET', route: '/webhooks' },
  { method: 'POST', route: '/webhooks' },
  { method: 'GET', route: '/webhooks/:id' },
  { method: 'PUT', route: '/webhooks/:id' },
  { method: 'PATCH', route: '/webhooks/:id' },
  { method: 'DELETE', route: '/webhooks/:id' },
  { method: 'POST', route: '/webhooks/:id/rotate-secret' },
  { method: 'POST', route: '/webhooks/:id/ping' },
  { method: 'GET', route: '/webhooks/:id/deliveries' },
  { method: 'GET', route: '/webhooks/:id/deliveries/:deliveryId' },
  { method: 'POST', route: '/webhooks/:id/deliveries/:deliveryId/redeliver' },
  { method: 'POST', route: '/webhooks/:id/replay' },
  { method: 'POST', route: '/webhooks/:id/recover' },
  { method: 'GET', route: '/webhooks/:id/stats' },
]

test.group('OpenAPI | every answer of the API matches the served document', (group) => {
  let receiver: Receiver
  let user: User
  let token: string
  let other: User
  let otherToken: string

  group.setup(async () => {
    receiver = await startReceiver()
    user = await createUser()
    token = await bearer(user)
    other = await createUser()
    otherToken = await bearer(other)
    return async () => {
      await WebhookSubscription.query().whereIn('user_id', [user.id, other.id]).delete()
      await receiver.close()
    }
  })

  /** A subscription to `order` made through the API, delivering to the receiver */
  async function createSubscription(client: ApiClient, body: Record<string, unknown> = {}) {
    const { status, body: created } = await call(client, 'POST', '/webhooks', {
      token,
      body: {
        name: 'OpenAPI',
        url: receiver.url,
        resource: 'order',
        events: ['on_create'],
        ...body,
      },
    })
    if (status !== 201) throw new Error(`POST /webhooks answered ${status}`)
    return created
  }

  /** Creates an order of `user` and waits until its attempt is logged as a success */
  async function deliveredAttempt(client: ApiClient, subscriptionId: number) {
    const before = receiver.received.length
    await Order.create({ userId: user.id, total: 1200, status: 'new' })
    await receiver.waitFor(before + 1)
    const successes = await eventually(
      async () => {
        const { body } = await call(client, 'GET', '/webhooks/:id/deliveries', {
          token,
          params: { id: subscriptionId },
          qs: { status: 'success' },
        })
        return body.data as any[]
      },
      (rows) => rows.some((row) => row.event === 'on_create'),
      { what: 'The attempt logged as a success' }
    )
    return successes.find((row) => row.event === 'on_create')
  }

  test('GET /openapi.json is an OpenAPI 3.1 document of every route, without a token', async ({
    assert,
    client,
  }) => {
    const response = await client.get(apiPath('/openapi.json'))
    response.assertStatus(200)
    assert.equal(response.type(), 'application/json')
    const document = new OpenApiValidator(response.body())
    spec = document
    assert.deepEqual(response.body().servers, [{ url: apiPath('') }])

    const routes = await apiRoutes()
    assert.isAbove(routes.length, 14)
    assert.deepEqual(document.problems(routes), [])
    assert.deepEqual(document.document.components.securitySchemes.bearerAuth, {
      type: 'http',
      scheme: 'bearer',
      description: document.document.components.securitySchemes.bearerAuth.description,
    })
    await call(client, 'GET', '/openapi.json')
  })

  test('the document rejects a drifted Subscription', async ({ assert, client }) => {
    const document = await documentFrom(client)
    const created = await createSubscription(client)
    const { body } = await call(client, 'GET', '/webhooks/:id', {
      token,
      params: { id: created.id },
    })
    assert.isTrue(document.validateSchema('Subscription', body).valid)
    assert.isFalse(document.validateSchema('Subscription', { ...body, extra: 1 }).valid)
    const missing = { ...body }
    delete missing.created_at
    assert.isFalse(document.validateSchema('Subscription', missing).valid)
    assert.isFalse(document.validateSchema('Subscription', { ...body, id: String(body.id) }).valid)
    assert.isFalse(document.validateSchema('Subscription', { ...body, secret: 'whsec_x' }).valid)
    assert.throws(
      () => document.validateResponse('GET', '/webhooks/:id', 200, { ...body, extra: 1 }),
      /must NOT have additional properties/
    )
    assert.throws(
      () => document.validateResponse('GET', '/webhooks/:id', 200, { ...body, is_active: 'yes' }),
      /is_active must be boolean/
    )
    assert.throws(() => document.validateResponse('GET', '/whoami', 500, {}), /does not list/)
  })

  test('GET /whoami', async ({ assert, client }) => {
    const { body } = await call(client, 'GET', '/whoami', { token })
    assert.deepEqual(body, { id: user.id, email: user.email, is_admin: false })
    const admin = await createUser({ isAdmin: true })
    const { body: adminBody } = await call(client, 'GET', '/whoami', {
      token: await bearer(admin),
    })
    assert.isTrue(adminBody.is_admin)
  })

  test('GET /resources', async ({ assert, client }) => {
    const { body } = await call(client, 'GET', '/resources', { token })
    assert.deepInclude(body.data, {
      name: 'order',
      triggers: ['on_create', 'on_update', 'on_delete'],
      events: ['on_create', 'on_update', 'on_delete', 'shipped', 'refunded'],
    })
    assert.deepInclude(body.data, { name: 'note', triggers: ['on_delete'], events: ['on_delete'] })
  })

  test('GET /event-types', async ({ assert, client }) => {
    const { body } = await call(client, 'GET', '/event-types', { token })
    const shipped = body.data.find((type: any) => type.event === 'shipped')
    assert.equal(shipped.resource, 'order')
    assert.equal(shipped.description, 'The order left the warehouse')
    assert.deepEqual(shipped.example.data, { id: 0, total: 0, carrier: 'UPS' })
  })

  test('the document is clean under redocly lint, and its webhooks take their examples', async ({
    assert,
    client,
  }) => {
    const document = await documentFrom(client)
    assert.deepEqual(await redoclyProblems(document.document), [])

    const { body } = await call(client, 'GET', '/event-types', { token })
    for (const type of body.data) {
      const key = `${type.resource}.${type.event}`
      const checked = document.validateWebhook(key, type.example)
      assert.isTrue(checked.valid, `${key}: ${checked.errors}`)
    }
    const shipped = { ...body.data.find((type: any) => type.event === 'shipped').example }
    assert.isFalse(
      document.validateWebhook('order.shipped', { ...shipped, event: 'on_create' }).valid
    )
    shipped.data = { id: 1, total: 'a lot' }
    assert.match(
      document.validateWebhook('order.shipped', shipped).errors,
      /data\/total must be integer/
    )
  })

  test('POST /webhooks: 201 with every field, 422 for bad input', async ({ assert, client }) => {
    const full = await createSubscription(client, {
      ...EVERY_OPTIONAL_FIELD,
      environments: ['test', 'production'],
      metadata: { team: 'crm', nested: { ok: true } },
    })
    assert.deepEqual(full.auth, { type: 'basic', username: 'u' })
    assert.deepEqual(full.secret_header, { name: 'X-Webhook-Secret' })
    assert.match(full.secret, /^whsec_/)

    const secret = `whsec_${randomBytes(32).toString('base64')}`
    const withBearer = await createSubscription(client, {
      auth: { type: 'bearer', token: 't' },
      secret,
    })
    assert.equal(withBearer.secret, secret)
    assert.deepEqual(withBearer.auth, { type: 'bearer' })

    const invalid: Record<string, unknown>[] = [
      {},
      { name: 'x', url: 'ftp://example.com', resource: 'order', events: ['on_create'] },
      { name: 'x', url: receiver.url, resource: 'invoice', events: ['on_create'] },
      { name: 'x', url: receiver.url, resource: 'note', events: ['on_create'] },
      { name: 'x', url: receiver.url, resource: 'order', events: [] },
      {
        name: 'x',
        url: receiver.url,
        resource: 'order',
        events: ['on_create'],
        headers: { 'X-Exo-Id': '1' },
      },
      {
        name: 'x',
        url: receiver.url,
        resource: 'order',
        events: ['on_create'],
        auth: { type: 'basic' },
      },
      { name: 'x', url: receiver.url, resource: 'order', events: ['on_create'], secret: 'short' },
    ]
    for (const body of invalid) {
      const { status } = await call(client, 'POST', '/webhooks', { token, body })
      assert.equal(status, 422, JSON.stringify(body))
    }
  })

  test('POST /webhooks with an Idempotency-Key: its replay and a reused key', async ({
    assert,
    client,
  }) => {
    const document = await documentFrom(client)
    const [parameter] = document.document.paths['/webhooks'].post.parameters
    assert.containsSubset(parameter, { name: 'Idempotency-Key', in: 'header' })
    const headers = { 'Idempotency-Key': `openapi-${randomBytes(8).toString('hex')}` }
    const body = { name: 'x', url: receiver.url, resource: 'order', events: ['on_create'] }

    const first = await call(client, 'POST', '/webhooks', { token, body, headers })
    const replay = await call(client, 'POST', '/webhooks', { token, body, headers })
    assert.deepEqual([first.status, replay.status], [201, 201])
    assert.deepEqual(replay.body, first.body)
    const reused = { ...body, name: 'y' }
    const refused = await call(client, 'POST', '/webhooks', { token, body: reused, headers })
    assert.equal(refused.status, 422)
  })

  test('GET /webhooks: pages, filters and 422', async ({ assert, client }) => {
    const first = await createSubscription(client)
    const second = await createSubscription(client, { is_active: false })
    const { body: page } = await call(client, 'GET', '/webhooks', { token, qs: { limit: 1 } })
    assert.lengthOf(page.data, 1)
    assert.equal(page.data[0].id, second.id)
    assert.isTrue(page.has_more)
    const { body: next } = await call(client, 'GET', '/webhooks', {
      token,
      qs: { limit: 1, cursor: page.next_cursor },
    })
    assert.equal(next.data[0].id, first.id)

    const { body: inactive } = await call(client, 'GET', '/webhooks', {
      token,
      qs: { is_active: false, resource: 'order', limit: 200 },
    })
    assert.isTrue(inactive.data.every((row: any) => row.is_active === false))
    const { body: none } = await call(client, 'GET', '/webhooks', { token: otherToken })
    assert.deepEqual(none, { data: [], has_more: false, next_cursor: null })

    for (const qs of ['limit=0', 'limit=201', 'limit=abc', 'cursor=nope', 'is_active=maybe']) {
      const { status } = await call(client, 'GET', '/webhooks', { token, qs })
      assert.equal(status, 422, qs)
    }
  })

  test('GET /webhooks/:id, with every nullable field set', async ({ assert, client }) => {
    const created = await createSubscription(client)
    const subscription = await WebhookSubscription.findOrFail(created.id)
    subscription.merge({
      isActive: false,
      failureCount: 20,
      disabledAt: DateTime.now(),
      disabledReason: '20 consecutive failed attempts',
      lastDeliveredAt: DateTime.now(),
      description: 'described',
    })
    await subscription.save()
    const { body } = await call(client, 'GET', '/webhooks/:id', {
      token,
      params: { id: created.id },
    })
    assert.equal(body.failure_count, 20)
    assert.isString(body.disabled_at)
    assert.isString(body.last_delivered_at)
  })

  test('PUT and PATCH /webhooks/:id: 200, 422', async ({ assert, client }) => {
    const created = await createSubscription(client)
    for (const method of ['PUT', 'PATCH'] as const) {
      const { body } = await call(client, method, '/webhooks/:id', {
        token,
        params: { id: created.id },
        body: {
          name: `Renamed by ${method}`,
          description: null,
          is_active: true,
          auth: null,
          secret_header: { name: 'X-Key', value: 'v' },
          resource: 'order',
        },
      })
      assert.equal(body.name, `Renamed by ${method}`)
      for (const invalid of [{ resource: 'note' }, { events: ['on_fire'] }, { url: 'nope' }]) {
        const { status } = await call(client, method, '/webhooks/:id', {
          token,
          params: { id: created.id },
          body: invalid,
        })
        assert.equal(status, 422)
      }
    }
  })

  test('POST /webhooks/:id/rotate-secret: 200, 422', async ({ assert, client }) => {
    const created = await createSubscription(client)
    const params = { id: created.id }
    const { body: rotated } = await call(client, 'POST', '/webhooks/:id/rotate-secret', {
      token,
      params,
    })
    assert.notEqual(rotated.secret, created.secret)
    await call(client, 'POST', '/webhooks/:id/rotate-secret', {
      token,
      params,
      body: { grace_period: 3600 },
    })
    for (const grace of [-1, 604801, 1.5, 'soon']) {
      const { status } = await call(client, 'POST', '/webhooks/:id/rotate-secret', {
        token,
        params,
        body: { grace_period: grace },
      })
      assert.equal(status, 422)
    }
  })

  test('POST /webhooks/:id/ping: 200, and 502 for a closed port or a failing receiver', async ({
    assert,
    client,
  }) => {
    const created = await createSubscription(client)
    const params = { id: created.id }
    const { body: ok } = await call(client, 'POST', '/webhooks/:id/ping', { token, params })
    assert.equal(ok.http_status, 200)

    receiver.respondWith(500)
    try {
      const { status, body } = await call(client, 'POST', '/webhooks/:id/ping', { token, params })
      assert.equal(status, 502)
      assert.deepInclude(body, { error: 'HTTP 500', http_status: 500 })
    } finally {
      receiver.respondWith(200)
    }

    const closed = await createSubscription(client, {
      url: await closedUrl(),
    })
    const { status, body } = await call(client, 'POST', '/webhooks/:id/ping', {
      token,
      params: { id: closed.id },
    })
    assert.equal(status, 502)
    assert.isNull(body.http_status)
    assert.match(body.error, /ECONNREFUSED/)
  })

  test('deliveries: list, show (success, failed, pending), redeliver, replay, recover', async ({
    assert,
    client,
  }) => {
    const created = await createSubscription(client)
    const id = created.id
    const attempt = await deliveredAttempt(client, id)

    // A failed ping attempt and a pending attempt, so every shape of a delivery is shown
    receiver.respondWith(503)
    await call(client, 'POST', '/webhooks/:id/ping', { token, params: { id } })
    receiver.respondWith(200)
    const pending = await pendingAttempt(id, attempt.event_id, 99)

    const { body: all } = await call(client, 'GET', '/webhooks/:id/deliveries', {
      token,
      params: { id },
    })
    assert.includeMembers(
      all.data.map((row: any) => row.status),
      ['success', 'failed', 'pending']
    )
    const { body: firstPage } = await call(client, 'GET', '/webhooks/:id/deliveries', {
      token,
      params: { id },
      qs: { limit: 1 },
    })
    assert.isTrue(firstPage.has_more)
    await call(client, 'GET', '/webhooks/:id/deliveries', {
      token,
      params: { id },
      qs: { limit: 1, cursor: firstPage.next_cursor, status: 'failed' },
    })
    for (const qs of ['status=sent', 'limit=0', 'cursor=bogus', 'limit=1.5']) {
      const { status } = await call(client, 'GET', '/webhooks/:id/deliveries', {
        token,
        params: { id },
        qs,
      })
      assert.equal(status, 422, qs)
    }

    for (const row of all.data) {
      const { body } = await call(client, 'GET', '/webhooks/:id/deliveries/:deliveryId', {
        token,
        params: { id, deliveryId: row.id },
      })
      if (row.status === 'pending') assert.isNull(body.response)
      else assert.isObject(body.response)
    }
    const { body: detail } = await call(client, 'GET', '/webhooks/:id/deliveries/:deliveryId', {
      token,
      params: { id, deliveryId: attempt.id },
    })
    assert.equal(detail.response.status, 200)
    assert.equal(JSON.parse(detail.request.body).id, attempt.event_id)
    await pending.delete()

    const before = receiver.received.length
    const { body: redelivered } = await call(
      client,
      'POST',
      '/webhooks/:id/deliveries/:deliveryId/redeliver',
      { token, params: { id, deliveryId: attempt.id } }
    )
    assert.equal(redelivered.event_id, attempt.event_id)

    const { body: fromEvent } = await call(client, 'POST', '/webhooks/:id/replay', {
      token,
      params: { id },
      body: { event_id: attempt.event_id },
    })
    assert.isAtLeast(fromEvent.queued, 1)
    const { body: fromMoment } = await call(client, 'POST', '/webhooks/:id/replay', {
      token,
      params: { id },
      body: { since: DateTime.now().minus({ minutes: 5 }).toISO() },
    })
    for (const body of [
      {},
      { event_id: 'evt_unknown' },
      { since: 'yesterday' },
      { event_id: 42 },
    ]) {
      const { status } = await call(client, 'POST', '/webhooks/:id/replay', {
        token,
        params: { id },
        body,
      })
      assert.equal(status, 422, JSON.stringify(body))
    }
    // Let the queued attempts land before the receiver goes away
    await receiver.waitFor(before + 1 + fromEvent.queued + fromMoment.queued)

    const window = { since: DateTime.now().minus({ minutes: 5 }).toISO() }
    const { body: count } = await call(client, 'POST', '/webhooks/:id/recover', {
      token,
      params: { id },
      body: { ...window, dry_run: true },
    })
    assert.equal(count.matched, 0)
    const { body: recovered } = await call(client, 'POST', '/webhooks/:id/recover', {
      token,
      params: { id },
      body: window,
    })
    assert.deepEqual(recovered, { queued: 0 })
    for (const body of [{}, { since: 'yesterday' }, { ...window, dry_run: 'yes' }]) {
      const { status } = await call(client, 'POST', '/webhooks/:id/recover', {
        token,
        params: { id },
        body,
      })
      assert.equal(status, 422, JSON.stringify(body))
    }
  })

  test('GET /webhooks/:id/stats: 200 with and without attempts, 422', async ({
    assert,
    client,
  }) => {
    const created = await createSubscription(client)
    const params = { id: created.id }
    const { body: empty } = await call(client, 'GET', '/webhooks/:id/stats', { token, params })
    assert.isNull(empty.last_error)

    await deliveredAttempt(client, created.id)
    receiver.respondWith(500)
    await call(client, 'POST', '/webhooks/:id/ping', { token, params })
    receiver.respondWith(200)
    const { body } = await call(client, 'GET', '/webhooks/:id/stats', {
      token,
      params,
      qs: { window: '1h' },
    })
    assert.containsSubset(body, { window: '1h', attempts: 2, status_codes: { 200: 1, 500: 1 } })
    for (const qs of ['window=2h', 'window=', 'window[]=1h']) {
      const { status } = await call(client, 'GET', '/webhooks/:id/stats', { token, params, qs })
      assert.equal(status, 422, qs)
    }
  })

  test('DELETE /webhooks/:id: 204, then 404', async ({ client, assert }) => {
    const created = await createSubscription(client)
    const { status } = await call(client, 'DELETE', '/webhooks/:id', {
      token,
      params: { id: created.id },
    })
    assert.equal(status, 204)
    const { status: gone } = await call(client, 'GET', '/webhooks/:id', {
      token,
      params: { id: created.id },
    })
    assert.equal(gone, 404)
  })

  test('every endpoint: 401 without a token, with a bad token and with a revoked one', async ({
    assert,
    client,
  }) => {
    const created = await createSubscription(client)
    const revoked = await tokenFor(user)
    const exo = await app.container.make('exo.manager')
    const tokens = await exo.tokens()
    await tokens.delete(user, revoked.id)
    const params = { id: created.id, deliveryId: attemptId() }
    for (const { method, route } of OPERATIONS) {
      for (const bad of [undefined, 'exo_not-a-token', revoked.value]) {
        const { status } = await call(client, method, route, { token: bad, params })
        assert.equal(status, 401, `${method} ${route} with ${bad}`)
      }
    }
  })

  test('every endpoint with an id: 404 for an unknown id and for a subscription of another user', async ({
    assert,
    client,
  }) => {
    const mine = await createSubscription(client)
    const attempt = await pendingAttempt(mine.id, `evt_${attemptId().slice(4)}`, 1)
    const withId = OPERATIONS.filter(({ route }) => route.includes(':id'))
    for (const { method, route } of withId) {
      const cases = [
        { as: token, params: { id: '999999999999999999', deliveryId: attempt.id } },
        { as: otherToken, params: { id: mine.id, deliveryId: attempt.id } },
        { as: token, params: { id: mine.id, deliveryId: attemptId() } },
      ]
      for (const { as, params } of cases) {
        if (!route.includes(':deliveryId') && params.deliveryId !== attempt.id) continue
        const { status } = await call(client, method, route, {
          token: as,
          params,
          body: /\/(replay|recover)$/.test(route) ? { since: '2020-01-01' } : undefined,
        })
        assert.equal(status, 404, `${method} ${route} ${JSON.stringify(params)}`)
      }
    }
    await attempt.delete()
  })

  test('every endpoint: 400 for a malformed body, 413 for an oversized one', async ({
    assert,
    client,
  }) => {
    const created = await createSubscription(client)
    const params = { id: created.id, deliveryId: attemptId() }
    const huge = `{"name":"${'x'.repeat(1024 * 1024)}"}`
    for (const { method, route } of [
      ...OPERATIONS,
      { method: 'GET' as const, route: '/openapi.json' },
    ]) {
      for (const raw of ['{"name":', '[1,2]', '"text"', 'null']) {
        const { status, body } = await call(client, method, route, { token, params, raw })
        assert.equal(status, 400, `${method} ${route} ${raw}`)
        assert.isString(body.message)
      }
      const { status } = await call(client, method, route, { token, params, raw: huge })
      assert.equal(status, 413, `${method} ${route}`)
    }
  })

  test('every status the document lists was answered and validated', async ({ assert }) => {
    const missing: string[] = []
    for (const [path, item] of Object.entries<any>(spec!.document.paths)) {
      for (const [method, operation] of Object.entries<any>(item)) {
        if (method === 'parameters') continue
        for (const status of Object.keys(operation.responses)) {
          const key = `${method.toUpperCase()} ${path} ${status}`
          if (!seen.has(key)) missing.push(key)
        }
      }
    }
    assert.deepEqual(missing, [])
  })
})
