import { createHmac, randomBytes } from 'node:crypto'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { Webhook } from 'standardwebhooks'
import { WebhookSubscription } from 'adonis-exo'
import { deliveredOrder } from '#tests/helpers/fixtures'
import {
  apiUser,
  deleteSubscriptions,
  errorFields,
  EVERY_OPTIONAL_FIELD,
  type FixtureContext,
  SUBSCRIPTION_KEYS,
  subscriptionBody,
} from '#tests/helpers/api_fixtures'
import { startReceiver } from '#tests/helpers/receiver'

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
const GENERATED_SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/

function clientSecret() {
  return `whsec_${randomBytes(32).toString('base64')}`
}

/**
 * Creates a subscription to a receiver through the API, with `overrides`, then
 * an order of its owner: the answer to the creation, and the request the
 * receiver got for the order.
 */
async function createdThenDelivered(
  { client, cleanup }: FixtureContext,
  overrides: Record<string, unknown>
) {
  const receiver = await startReceiver({ cleanup })
  const { user, api } = await apiUser(client)
  const response = await api.post('/webhooks').json(subscriptionBody(receiver.url, overrides))
  response.assertStatus(201)
  return { response, request: await deliveredOrder(user, receiver) }
}

test.group('API | POST /webhooks creates a subscription', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('answers 201 with every key of the subscription object and the secret in full', async ({
    client,
    assert,
  }) => {
    const { user, api } = await apiUser(client)
    const response = await api.post('/webhooks').json(subscriptionBody('https://example.com/hook'))

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
      filter: null,
      rate_limit: null,
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
    const { api } = await apiUser(client)
    const fields = { name: 'CRM sync', ...EVERY_OPTIONAL_FIELD }
    const response = await api
      .post('/webhooks')
      .json(subscriptionBody('https://example.com/hook', fields))
    response.assertStatus(201)
    const body = response.body()
    const { auth, secret_header: secretHeader, ...plain } = fields
    assert.containsSubset(body, plain)
    assert.deepEqual(body.auth, { type: 'basic', username: 'u' })
    assert.deepEqual(body.secret_header, { name: 'X-Webhook-Secret' })

    const shown = await api.get(`/webhooks/${body.id}`)
    shown.assertStatus(200)
    const { secret, ...withoutSecret } = body
    assert.deepEqual(shown.body(), withoutSecret)
    const text = JSON.stringify(shown.body())
    const hiddenValues = [secret, auth.password, secretHeader.value]
    for (const hidden of hiddenValues) {
      assert.notInclude(text, hidden)
    }

    const row = await db.from('exo_subscriptions').where('id', body.id).firstOrFail()
    const raw = JSON.stringify(row)
    for (const hidden of hiddenValues) {
      assert.notInclude(raw, hidden, 'secrets and credentials are encrypted at rest')
    }
  })

  test('events list triggers and domain events of the resource side by side', async ({
    client,
    assert,
  }) => {
    const { api } = await apiUser(client)
    const response = await api
      .post('/webhooks')
      .json(subscriptionBody('https://example.com/hook', { events: ['on_create', 'shipped'] }))
    response.assertStatus(201)
    assert.deepEqual(response.body().events, ['on_create', 'shipped'])
    const updated = await api
      .patch(`/webhooks/${response.body().id}`)
      .json({ events: ['refunded'] })
    updated.assertStatus(200)
    assert.deepEqual(updated.body().events, ['refunded'])
  })

  test('a bearer auth is read back as {type: "bearer"}', async ({ client, assert }) => {
    const { api } = await apiUser(client)
    const response = await api.post('/webhooks').json(
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
    const secret = clientSecret()
    const { response, request } = await createdThenDelivered(
      { client, cleanup },
      {
        secret,
        headers: { 'X-Team': 'a' },
        auth: { type: 'bearer', token: 'receiver-token-xyz' },
        secret_header: { name: 'X-Webhook-Secret', value: 'shared-secret-value' },
      }
    )
    assert.equal(response.body().secret, secret)
    assert.equal(response.body().masked_secret, `whsec_****${secret.slice(-4)}`)

    assert.deepEqual(new Webhook(secret).verify(request.body, request.headers as any), request.json)
    const hmac = createHmac('sha256', secret).update(request.body).digest('hex')
    assert.equal(request.headers['x-exo-signature'], `sha256=${hmac}`)
    assert.equal(request.headers['x-team'], 'a')
    assert.equal(request.headers['authorization'], 'Bearer receiver-token-xyz')
    assert.equal(request.headers['x-webhook-secret'], 'shared-secret-value')
  })

  test('the largest headers and metadata it accepts are stored', async ({ client, assert }) => {
    const { api } = await apiUser(client)
    const headers = Object.fromEntries(
      Array.from({ length: 50 }, (_, index) => [`X-${index}`.padEnd(100, 'h'), 'v'.repeat(2000)])
    )
    const metadata = { notes: 'm'.repeat(8000) }
    const response = await api
      .post('/webhooks')
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
    const { request } = await createdThenDelivered(
      { client, cleanup },
      { auth: { type: 'basic', username: 'u', password: 'basic-password-123' } }
    )
    const expected = Buffer.from('u:basic-password-123').toString('base64')
    assert.equal(request.headers['authorization'], `Basic ${expected}`)
  })
})

test.group('API | POST /webhooks without a name', (group) => {
  group.each.teardown(deleteSubscriptions)

  test("Exo's own body {url, resource, events} is a 201 named after the URL's host: {url}")
    .with([
      { url: 'https://hooks.example.com:8443/x', name: 'hooks.example.com' },
      { url: '  https://Hooks.Example.com/x  ', name: 'hooks.example.com' },
      { url: 'https://[2606:4700:4700::1111]:8443/x', name: '[2606:4700:4700::1111]' },
      { url: 'http://[::1]/x', name: '[::1]' },
      { url: 'https://xn--bcher-kva.example/x', name: 'bücher.example' },
      { url: 'http://127.0.0.1:3333/hook', name: '127.0.0.1' },
    ])
    .run(async ({ client, assert }, { url, name }) => {
      const { api } = await apiUser(client)
      const response = await api
        .post('/webhooks')
        .json({ url, resource: 'order', events: ['on_create'] })

      response.assertStatus(201)
      assert.equal(response.body().name, name)
      assert.equal(response.body().url, url.trim())
      const stored = await WebhookSubscription.findOrFail(response.body().id)
      assert.equal(stored.name, name)
    })

  test('a null name is an absent one', async ({ client, assert }) => {
    const { api } = await apiUser(client)
    const response = await api
      .post('/webhooks')
      .json(subscriptionBody('https://hooks.example.com/x', { name: null }))
    response.assertStatus(201)
    assert.equal(response.body().name, 'hooks.example.com')
  })
})

test.group('API | a 422 says what is allowed', (group) => {
  group.each.teardown(deleteSubscriptions)

  /** Bodies whose one error is `field` by `rule`, with the message a person can act on */
  const mistakes = [
    {
      title: 'empty events',
      body: { events: [] },
      field: 'events',
      rule: 'array.minLength',
      message: 'Choose at least one event: on_create, on_update or on_delete',
    },
    {
      title: 'missing events',
      body: { events: undefined },
      field: 'events',
      rule: 'required',
      message: 'Choose at least one event: on_create, on_update or on_delete',
    },
    {
      title: 'unknown event',
      body: { events: ['on_create', 'on_save'] },
      field: 'events.1',
      rule: 'event',
      message:
        'The events.1 field must be one of on_create, on_update, on_delete, shipped, refunded: the order resource has no on_save event',
    },
    {
      title: 'a domain event of another resource',
      body: { resource: 'note', events: ['on_delete', 'shipped'] },
      field: 'events.1',
      rule: 'event',
      message: 'The events.1 field must be on_delete: the note resource has no shipped event',
    },
    {
      title: 'not an event name',
      body: { events: ['Shipped!'] },
      field: 'events.0',
      rule: 'regex',
      message:
        'The events.0 field must be an event name: a trigger (on_create, on_update or on_delete) or a domain event of the resource',
    },
    {
      title: 'a trigger the resource does not declare',
      body: { resource: 'note', events: ['on_create'] },
      field: 'events.0',
      rule: 'trigger',
      message: 'The events.0 field must be on_delete: the note resource has no on_create trigger',
    },
    {
      title: 'unknown resource',
      body: { resource: 'invoice' },
      field: 'resource',
      rule: 'registered',
      message: 'The resource field must be order or note: "invoice" is not a registered resource',
    },
    {
      title: 'unknown auth type',
      body: { auth: { type: 'digest' } },
      field: 'auth.type',
      rule: 'enum',
      message: 'The auth.type field must be basic or bearer',
    },
    {
      title: 'bearer auth without a token',
      body: { auth: { type: 'bearer' } },
      field: 'auth.token',
      rule: 'required',
      message: 'The auth.token field is required for bearer auth',
    },
    {
      title: 'is_active not a boolean',
      body: { is_active: 'yes' },
      field: 'is_active',
      rule: 'boolean',
      message: 'The is_active field must be true or false',
    },
    {
      title: 'header value with CR-LF',
      body: { headers: { 'X-Team': 'a\r\nb' } },
      field: 'headers.X-Team',
      rule: 'regex',
      message:
        'The headers.X-Team field must be at most 2000 visible ASCII characters or spaces, without line breaks',
    },
    {
      title: 'header name with a space',
      body: { headers: { 'X Team': 'a' } },
      field: 'headers.X Team',
      rule: 'headerName',
      message: 'The header name "X Team" must be 1 to 100 letters, digits or !#$%&\'*+-.^_`|~',
    },
    {
      title: 'reserved header',
      body: { headers: { Host: 'a' } },
      field: 'headers.Host',
      rule: 'reserved',
      message:
        'The Host header is set by Exo: a custom header cannot be Content-Type, Content-Length, Host, User-Agent, Webhook-* or X-Exo-*',
    },
    {
      title: 'url of another scheme',
      body: { url: 'ftp://example.com/hook' },
      field: 'url',
      rule: 'url',
      message: 'The url field must be a valid URL starting with http:// or https://',
    },
    {
      title: 'environment name',
      body: { environments: ['prod uction'] },
      field: 'environments.0',
      rule: 'regex',
      message:
        'The environments.0 field must be an environment name: a letter, then up to 39 letters, digits, - or _',
    },
  ]

  test('{title}')
    .with(mistakes)
    .run(async ({ client, assert }, { body, field, rule, message }) => {
      const { api } = await apiUser(client)
      const response = await api
        .post('/webhooks')
        .json(subscriptionBody('https://example.com/hook', body))

      response.assertStatus(422)
      assert.deepEqual(response.body().errors, [{ field, rule, message }])
    })
})

test.group('API | POST /webhooks refuses invalid subscriptions with a 422', (group) => {
  group.each.teardown(deleteSubscriptions)

  /** What it refuses, under the field its 422 names: each body by its title */
  const refusals: Record<string, Record<string, Record<string, unknown>>> = {
    'url': {
      'missing url': { url: undefined },
      'ftp url': { url: 'ftp://example.com/hook' },
      'javascript url': { url: 'javascript:alert(1)' },
      'url without scheme': { url: 'example.com/hook' },
      'url longer than 2048': { url: `https://example.com/${'a'.repeat(2030)}` },
      'url with a username and password': { url: 'https://user:pass@example.com/hook' },
      'url with a username': { url: 'https://user@example.com/hook' },
    },
    'name': { 'empty name': { name: '' }, 'blank name': { name: '   ' } },
    'resource': {
      'missing resource': { resource: undefined },
      'unregistered resource': { resource: 'invoice' },
    },
    'events': {
      'missing events': { events: undefined },
      'empty events': { events: [] },
      'events not a list': { events: 'on_create' },
    },
    'events.0': {
      'event not a trigger of the resource': { resource: 'note', events: ['on_create'] },
    },
    'events.1': { 'unknown event': { events: ['on_create', 'on_save'] } },
    'is_active': { 'is_active not a boolean': { is_active: 'yes' } },
    'headers.X Team': { 'header name with a space': { headers: { 'X Team': 'a' } } },
    'headers.X-Team': {
      'header value with CR-LF': { headers: { 'X-Team': 'a\r\nX-Injected: 1' } },
      'header value not a string': { headers: { 'X-Team': 1 } },
    },
    'headers': { 'headers not an object': { headers: ['X-Team'] } },
    'secret_header.name': {
      'reserved secret header name': { secret_header: { name: 'webhook-signature', value: 'x' } },
    },
    'secret_header.value': {
      'secret header without a value': { secret_header: { name: 'X-Webhook-Secret' } },
      'secret header value with CR-LF': {
        secret_header: { name: 'X-Webhook-Secret', value: 'a\r\nb' },
      },
    },
    'auth.type': { 'auth of an unknown type': { auth: { type: 'digest' } } },
    'auth': { 'auth not an object': { auth: 'basic' } },
    'auth.password': {
      'basic auth without a password': { auth: { type: 'basic', username: 'u' } },
    },
    'auth.username': {
      'basic auth without a username': { auth: { type: 'basic', password: 'p' } },
      'basic auth username with a colon': {
        auth: { type: 'basic', username: 'a:b', password: 'p' },
      },
    },
    'auth.token': {
      'bearer auth without a token': { auth: { type: 'bearer' } },
      'bearer token with CR-LF': { auth: { type: 'bearer', token: 'a\r\nb' } },
    },
    'notification_emails.0': {
      'a bad notification email': { notification_emails: ['not-an-email'] },
    },
    'notification_emails.1': {
      'a bad second notification email': { notification_emails: ['ops@example.com', 'ops@'] },
    },
    'notification_emails': {
      'notification emails not a list': { notification_emails: 'ops@example.com' },
    },
    'environments.0': { 'environment with a space': { environments: ['prod uction'] } },
    'metadata': { 'metadata not an object': { metadata: 'x' } },
    'secret': {
      'secret without the whsec_ prefix': { secret: 'abcdefghijklmnopqrstuvwxyz0123456789ABCD' },
      'secret too short': { secret: 'whsec_abc' },
      'secret not base64': { secret: `whsec_${'!'.repeat(44)}` },
      'secret not a string': { secret: 42 },
    },
  }
  const cases = [
    ...Object.entries(refusals).flatMap(([field, bodies]) =>
      Object.entries(bodies).map(([title, body]) => ({ title, body, field }))
    ),
    ...['content-type', 'Host', 'webhook-id', 'X-Exo-Foo', 'user-agent', 'Content-Length'].map(
      (name) => ({
        title: `reserved header ${name}`,
        body: { headers: { [name]: 'x' } },
        field: `headers.${name}`,
      })
    ),
  ]

  test('credentials in the url are refused by their own rule, which points to auth', async ({
    client,
    assert,
  }) => {
    const { api } = await apiUser(client)
    const response = await api
      .post('/webhooks')
      .json(subscriptionBody('https://crm:hunter2@example.com/hook'))

    response.assertStatus(422)
    const [error] = response.body().errors
    assert.equal(error.field, 'url')
    assert.equal(error.rule, 'credentials')
    assert.include(error.message, 'auth')
    assert.notInclude(JSON.stringify(response.body()), 'hunter2')
  })

  test('{title}')
    .with(cases)
    .run(async ({ client, assert }, { body, field }) => {
      const { user, api } = await apiUser(client)
      const response = await api
        .post('/webhooks')
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
      assert.include(errorFields(response), field)
      assert.lengthOf(await WebhookSubscription.query().where('user_id', user.id), 0)
    })
})
