import { createHmac, randomBytes } from 'node:crypto'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { Webhook } from 'standardwebhooks'
import { WebhookSubscription } from 'adonis-exo'
import Order from '#models/order'
import { apiPath } from '#tests/helpers/api'
import {
  apiUser,
  deleteSubscriptions,
  SUBSCRIPTION_KEYS,
  subscriptionBody,
} from '#tests/helpers/api_fixtures'
import { startReceiver } from '#tests/helpers/receiver'

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
const GENERATED_SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/

function clientSecret() {
  return `whsec_${randomBytes(32).toString('base64')}`
}

test.group('API | POST /webhooks creates a subscription', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('answers 201 with every key of the subscription object and the secret in full', async ({
    client,
    assert,
  }) => {
    const { user, token } = await apiUser()
    const response = await client
      .post(await apiPath('/webhooks'))
      .bearerToken(token)
      .json(subscriptionBody('https://example.com/hook'))

    response.assertStatus(201)
    const body = response.body()
    assert.sameMembers(Object.keys(body), [...SUBSCRIPTION_KEYS, 'secret'])
    assert.isNumber(body.id)
    assert.match(body.secret, GENERATED_SECRET)
    assert.equal(Buffer.from(body.secret.slice(6), 'base64').length, 32)
    const { id, created_at: createdAt, updated_at: updatedAt, secret, ...rest } = body
    assert.deepEqual(rest, {
      user_id: user.id,
      name: 'API hook',
      description: null,
      url: 'https://example.com/hook',
      resource: 'order',
      events: ['on_create'],
      is_active: true,
      headers: {},
      auth: null,
      secret_header: null,
      notification_emails: [],
      environments: [],
      metadata: {},
      webhook_version: '1',
      masked_secret: `whsec_****${secret.slice(-4)}`,
      failure_count: 0,
      last_delivered_at: null,
      disabled_at: null,
      disabled_reason: null,
    })
    assert.match(createdAt, ISO_UTC)
    assert.match(updatedAt, ISO_UTC)

    const stored = await WebhookSubscription.findOrFail(id)
    assert.equal(stored.userId, user.id)
    assert.equal(stored.secret, secret)
  })

  test('keeps every optional field; credentials are write-only and the secret is encrypted', async ({
    client,
    assert,
  }) => {
    const { token } = await apiUser()
    const response = await client
      .post(await apiPath('/webhooks'))
      .bearerToken(token)
      .json(
        subscriptionBody('https://example.com/hook', {
          name: 'CRM sync',
          description: 'Orders to the CRM',
          events: ['on_create', 'on_update'],
          is_active: false,
          headers: { 'X-Team': 'a' },
          auth: { type: 'basic', username: 'u', password: 'basic-password-123' },
          secret_header: { name: 'X-Webhook-Secret', value: 'shared-secret-value' },
          notification_emails: ['ops@example.com'],
          environments: ['production'],
          metadata: { team: 'crm', tier: 2 },
        })
      )
    response.assertStatus(201)
    const body = response.body()
    assert.containsSubset(body, {
      name: 'CRM sync',
      description: 'Orders to the CRM',
      events: ['on_create', 'on_update'],
      is_active: false,
      headers: { 'X-Team': 'a' },
      auth: { type: 'basic', username: 'u' },
      secret_header: { name: 'X-Webhook-Secret' },
      notification_emails: ['ops@example.com'],
      environments: ['production'],
      metadata: { team: 'crm', tier: 2 },
    })
    assert.deepEqual(body.auth, { type: 'basic', username: 'u' })
    assert.deepEqual(body.secret_header, { name: 'X-Webhook-Secret' })

    const shown = await client.get(await apiPath(`/webhooks/${body.id}`)).bearerToken(token)
    shown.assertStatus(200)
    const { secret, ...withoutSecret } = body
    assert.deepEqual(shown.body(), withoutSecret)
    const text = JSON.stringify(shown.body())
    for (const hidden of [secret, 'basic-password-123', 'shared-secret-value']) {
      assert.notInclude(text, hidden)
    }

    const row = await db.from('exo_subscriptions').where('id', body.id).firstOrFail()
    const raw = JSON.stringify(row)
    for (const hidden of [secret, 'basic-password-123', 'shared-secret-value']) {
      assert.notInclude(raw, hidden, 'secrets and credentials are encrypted at rest')
    }
  })

  test('a bearer auth is read back as {type: "bearer"}', async ({ client, assert }) => {
    const { token } = await apiUser()
    const response = await client
      .post(await apiPath('/webhooks'))
      .bearerToken(token)
      .json(
        subscriptionBody('https://example.com/hook', {
          auth: { type: 'bearer', token: 'receiver-token-xyz' },
        })
      )
    response.assertStatus(201)
    assert.deepEqual(response.body().auth, { type: 'bearer' })
    assert.notInclude(JSON.stringify(response.body()), 'receiver-token-xyz')
  })

  test('a secret given by the client is kept and signs real deliveries', async ({
    client,
    assert,
    cleanup,
  }) => {
    const receiver = await startReceiver()
    cleanup(() => receiver.close())
    const { user, token } = await apiUser()
    const secret = clientSecret()

    const response = await client
      .post(await apiPath('/webhooks'))
      .bearerToken(token)
      .json(
        subscriptionBody(receiver.url, {
          secret,
          headers: { 'X-Team': 'a' },
          auth: { type: 'bearer', token: 'receiver-token-xyz' },
          secret_header: { name: 'X-Webhook-Secret', value: 'shared-secret-value' },
        })
      )
    response.assertStatus(201)
    assert.equal(response.body().secret, secret)
    assert.equal(response.body().masked_secret, `whsec_****${secret.slice(-4)}`)

    await Order.create({ userId: user.id, total: 1, status: 'new' })
    const [request] = await receiver.waitFor(1)

    assert.deepEqual(new Webhook(secret).verify(request.body, request.headers as any), request.json)
    const hmac = createHmac('sha256', secret).update(request.body).digest('hex')
    assert.equal(request.headers['x-exo-signature'], `sha256=${hmac}`)
    assert.equal(request.headers['x-team'], 'a')
    assert.equal(request.headers['authorization'], 'Bearer receiver-token-xyz')
    assert.equal(request.headers['x-webhook-secret'], 'shared-secret-value')
  })

  test('the largest headers and metadata it accepts are stored', async ({ client, assert }) => {
    const { token } = await apiUser()
    const headers = Object.fromEntries(
      Array.from({ length: 50 }, (_, index) => [`X-${index}`.padEnd(100, 'h'), 'v'.repeat(2000)])
    )
    const metadata = { notes: 'm'.repeat(8000) }
    const response = await client
      .post(await apiPath('/webhooks'))
      .bearerToken(token)
      .json(subscriptionBody('https://example.com/hook', { headers, metadata }))
    response.assertStatus(201)
    assert.deepEqual(response.body().headers, headers)
    assert.deepEqual(response.body().metadata, metadata)
  })

  test('a basic auth reaches the receiver as an Authorization header', async ({
    client,
    assert,
    cleanup,
  }) => {
    const receiver = await startReceiver()
    cleanup(() => receiver.close())
    const { user, token } = await apiUser()
    const response = await client
      .post(await apiPath('/webhooks'))
      .bearerToken(token)
      .json(
        subscriptionBody(receiver.url, {
          auth: { type: 'basic', username: 'u', password: 'basic-password-123' },
        })
      )
    response.assertStatus(201)

    await Order.create({ userId: user.id, total: 1, status: 'new' })
    const [request] = await receiver.waitFor(1)
    const expected = Buffer.from('u:basic-password-123').toString('base64')
    assert.equal(request.headers['authorization'], `Basic ${expected}`)
  })
})

test.group('API | POST /webhooks refuses invalid subscriptions with a 422', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  const cases: { title: string; body: Record<string, unknown>; field: string }[] = [
    { title: 'missing url', body: { url: undefined }, field: 'url' },
    { title: 'missing name', body: { name: undefined }, field: 'name' },
    { title: 'empty name', body: { name: '' }, field: 'name' },
    { title: 'missing resource', body: { resource: undefined }, field: 'resource' },
    { title: 'missing events', body: { events: undefined }, field: 'events' },
    { title: 'ftp url', body: { url: 'ftp://example.com/hook' }, field: 'url' },
    { title: 'javascript url', body: { url: 'javascript:alert(1)' }, field: 'url' },
    { title: 'url without scheme', body: { url: 'example.com/hook' }, field: 'url' },
    {
      title: 'url longer than 2048',
      body: { url: `https://example.com/${'a'.repeat(2030)}` },
      field: 'url',
    },
    { title: 'unregistered resource', body: { resource: 'invoice' }, field: 'resource' },
    {
      title: 'event not a trigger of the resource',
      body: { resource: 'note', events: ['on_create'] },
      field: 'events.0',
    },
    { title: 'unknown event', body: { events: ['on_create', 'on_save'] }, field: 'events.1' },
    { title: 'empty events', body: { events: [] }, field: 'events' },
    { title: 'events not a list', body: { events: 'on_create' }, field: 'events' },
    { title: 'is_active not a boolean', body: { is_active: 'yes' }, field: 'is_active' },
    ...['content-type', 'Host', 'webhook-id', 'X-Exo-Foo', 'user-agent', 'Content-Length'].map(
      (name) => ({
        title: `reserved header ${name}`,
        body: { headers: { [name]: 'x' } },
        field: `headers.${name}`,
      })
    ),
    {
      title: 'header name with a space',
      body: { headers: { 'X Team': 'a' } },
      field: 'headers.X Team',
    },
    {
      title: 'header value with CR-LF',
      body: { headers: { 'X-Team': 'a\r\nX-Injected: 1' } },
      field: 'headers.X-Team',
    },
    {
      title: 'header value not a string',
      body: { headers: { 'X-Team': 1 } },
      field: 'headers.X-Team',
    },
    { title: 'headers not an object', body: { headers: ['X-Team'] }, field: 'headers' },
    {
      title: 'reserved secret header name',
      body: { secret_header: { name: 'webhook-signature', value: 'x' } },
      field: 'secret_header.name',
    },
    {
      title: 'secret header without a value',
      body: { secret_header: { name: 'X-Webhook-Secret' } },
      field: 'secret_header.value',
    },
    {
      title: 'secret header value with CR-LF',
      body: { secret_header: { name: 'X-Webhook-Secret', value: 'a\r\nb' } },
      field: 'secret_header.value',
    },
    { title: 'auth of an unknown type', body: { auth: { type: 'digest' } }, field: 'auth.type' },
    { title: 'auth not an object', body: { auth: 'basic' }, field: 'auth' },
    {
      title: 'basic auth without a password',
      body: { auth: { type: 'basic', username: 'u' } },
      field: 'auth.password',
    },
    {
      title: 'basic auth without a username',
      body: { auth: { type: 'basic', password: 'p' } },
      field: 'auth.username',
    },
    {
      title: 'basic auth username with a colon',
      body: { auth: { type: 'basic', username: 'a:b', password: 'p' } },
      field: 'auth.username',
    },
    {
      title: 'bearer auth without a token',
      body: { auth: { type: 'bearer' } },
      field: 'auth.token',
    },
    {
      title: 'bearer token with CR-LF',
      body: { auth: { type: 'bearer', token: 'a\r\nb' } },
      field: 'auth.token',
    },
    {
      title: 'a bad notification email',
      body: { notification_emails: ['not-an-email'] },
      field: 'notification_emails.0',
    },
    {
      title: 'a bad second notification email',
      body: { notification_emails: ['ops@example.com', 'ops@'] },
      field: 'notification_emails.1',
    },
    {
      title: 'notification emails not a list',
      body: { notification_emails: 'ops@example.com' },
      field: 'notification_emails',
    },
    {
      title: 'environment with a space',
      body: { environments: ['prod uction'] },
      field: 'environments.0',
    },
    { title: 'metadata not an object', body: { metadata: 'x' }, field: 'metadata' },
    {
      title: 'secret without the whsec_ prefix',
      body: { secret: 'abcdefghijklmnopqrstuvwxyz0123456789ABCD' },
      field: 'secret',
    },
    { title: 'secret too short', body: { secret: 'whsec_abc' }, field: 'secret' },
    { title: 'secret not base64', body: { secret: `whsec_${'!'.repeat(44)}` }, field: 'secret' },
    { title: 'secret not a string', body: { secret: 42 }, field: 'secret' },
  ]

  test('{title}')
    .with(cases)
    .run(async ({ client, assert }, { body, field }) => {
      const { user, token } = await apiUser()
      const response = await client
        .post(await apiPath('/webhooks'))
        .bearerToken(token)
        .json(subscriptionBody('https://example.com/hook', body))

      response.assertStatus(422)
      assert.deepEqual(Object.keys(response.body()), ['message', 'errors'])
      assert.isString(response.body().message)
      const errors = response.body().errors as Record<string, unknown>[]
      assert.isAbove(errors.length, 0)
      for (const error of errors) {
        assert.sameMembers(Object.keys(error), ['field', 'rule', 'message'])
        assert.isString(error.rule)
        assert.isString(error.message)
      }
      assert.include(
        errors.map((error) => error.field),
        field
      )
      assert.lengthOf(await WebhookSubscription.query().where('user_id', user.id), 0)
    })
})
