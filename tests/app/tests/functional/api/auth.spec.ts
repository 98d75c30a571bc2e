import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import exo from 'adonis-exo/services/main'
import { createUser } from '#tests/helpers/fixtures'
import env from '#start/env'
import { apiPath, exoApi, tokenFor } from '#tests/helpers/api'
import { apiSubscription, apiUser, deleteSubscriptions } from '#tests/helpers/api_fixtures'

test.group('API | authentication', () => {
  test('a request without a token is a 401 with a message', async ({ client, assert }) => {
    const response = await exoApi(client).get('/whoami')
    response.assertStatus(401)
    assert.deepEqual(Object.keys(response.body()), ['message'])
    assert.isString(response.body().message)
    assert.match(String(response.header('content-type')), /^application\/json/)
  })

  test('a malformed Authorization header is a 401: {header}')
    .with([
      { header: 'Basic dXNlcjpwYXNz' },
      { header: 'Bearer' },
      { header: 'Bearer ' },
      { header: 'bearer-exo_abc' },
      { header: 'Bearer not-an-exo-token' },
      { header: 'Bearer exo_' },
      { header: 'Bearer exo_a.b.c' },
    ])
    .run(async ({ client, assert }, { header }) => {
      const response = await exoApi(client).get('/whoami').header('Authorization', header)
      response.assertStatus(401)
      assert.deepEqual(Object.keys(response.body()), ['message'])
    })

  test('a well-formed token that was never issued is a 401', async ({ client, assert }) => {
    const user = await createUser()
    const { value } = await tokenFor(user)
    const forged = value.slice(0, -4) + (value.endsWith('AAAA') ? 'BBBB' : 'AAAA')
    const response = await exoApi(client, forged).get('/whoami')
    response.assertStatus(401)
    assert.deepEqual(Object.keys(response.body()), ['message'])

    // The token it imitates is not marked as used
    const [token] = await db.from('exo_api_tokens').where('tokenable_id', user.id)
    assert.isNull(token.last_used_at)
  })

  test('a revoked token is a 401', async ({ client, assert }) => {
    const { user, api, tokenId } = await apiUser(client)
    const before = await api.get('/whoami')
    before.assertStatus(200)

    const tokens = await exo.tokens()
    await tokens.delete(user, tokenId)

    const response = await api.get('/whoami')
    response.assertStatus(401)
    assert.deepEqual(Object.keys(response.body()), ['message'])
  })

  test('an expired token is a 401', async ({ client, assert }) => {
    const user = await createUser()
    const token = await tokenFor(user, { expiresIn: '1h' })
    const api = exoApi(client, token.value)
    const before = await api.get('/whoami')
    before.assertStatus(200)
    // The hour gone by: its expiry a second ago, written as the library writes it
    await db
      .from('exo_api_tokens')
      .where('id', String(token.id))
      .update({ expires_at: new Date(Date.now() - 1000) })

    const response = await api.get('/whoami')
    response.assertStatus(401)
    assert.deepEqual(Object.keys(response.body()), ['message'])
  })

  test('a token whose user was deleted is a 401', async ({ client, assert }) => {
    const { user, api } = await apiUser(client)
    await user.delete()

    const response = await api.get('/whoami')
    response.assertStatus(401)
    assert.deepEqual(Object.keys(response.body()), ['message'])
  })

  test('a valid token authenticates and records when it was last used', async ({
    client,
    assert,
  }) => {
    const { user, api, tokenId } = await apiUser(client)
    const before = await db.from('exo_api_tokens').where('id', Number(tokenId)).firstOrFail()
    assert.isNull(before.last_used_at)

    const response = await api.get('/whoami')
    response.assertStatus(200)
    assert.equal(response.body().email, user.email)

    const after = await db.from('exo_api_tokens').where('id', Number(tokenId)).firstOrFail()
    assert.isNotNull(after.last_used_at)
  })

  test('a token used within the last minute is not written again', async ({ client, assert }) => {
    const { api, tokenId } = await apiUser(client)
    const token = () => db.from('exo_api_tokens').where('id', Number(tokenId))
    const lastUsedAt = async () => {
      const row = await token().firstOrFail()
      return new Date(row.last_used_at).getTime()
    }
    // Whole seconds, which MySQL's DATETIME keeps
    const secondsAgo = (seconds: number) =>
      new Date((Math.floor(Date.now() / 1000) - seconds) * 1000)

    const recently = secondsAgo(30)
    await token().update({ last_used_at: recently })
    const first = await api.get('/whoami')
    first.assertStatus(200)
    assert.equal(await lastUsedAt(), recently.getTime())

    const longAgo = secondsAgo(120)
    await token().update({ last_used_at: longAgo })
    const requestedAt = Date.now()
    const second = await api.get('/whoami')
    second.assertStatus(200)
    assert.isAtLeast(await lastUsedAt(), requestedAt - 1000)
  })
})

test.group('API | requests from API clients', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('a POST with a bearer token needs no CSRF token, though the host app checks CSRF', async ({
    client,
    assert,
  }) => {
    const { user, created } = await apiSubscription(client, 'https://example.com/hook')
    assert.equal(created.user_id, user.id)

    // The host's own login, with the right credentials, is still refused for want of the
    // CSRF token: shield sends the browser back instead of on to /me
    const host = await client
      .post('/login')
      .json({ email: user.email, password: 'secret-password' })
      .redirects(0)
    host.assertStatus(302)
    assert.notEqual(host.header('location'), '/me')
  })

  test('DELETE and PATCH with a bearer token need no CSRF token either', async ({ client }) => {
    const { api, id } = await apiSubscription(client, 'https://example.com/hook')

    const patched = await api.patch(`/webhooks/${id}`).json({ name: 'renamed' })
    patched.assertStatus(200)
    const deleted = await api.delete(`/webhooks/${id}`)
    deleted.assertStatus(204)
  })

  test('an unknown route under the prefix is a JSON 404: {method} {path}')
    .with([
      { method: 'get', path: '/nope' },
      { method: 'get', path: '/webhooks/abc' },
      { method: 'get', path: '/webhooks/1/nope' },
      { method: 'post', path: '/nope' },
      { method: 'delete', path: '/whoami' },
      { method: 'get', path: '' },
      { method: 'get', path: '/' },
    ] as const)
    .run(async ({ client, assert }, { method, path }) => {
      const { api } = await apiUser(client)
      const response = await api[method](path)
      response.assertStatus(404)
      assert.match(String(response.header('content-type')), /^application\/json/)
      assert.deepEqual(Object.keys(response.body()), ['message'])
    })

  test('an unknown route is a JSON 404 without a token too', async ({ client, assert }) => {
    const response = await exoApi(client).get('/nope')
    response.assertStatus(404)
    assert.match(String(response.header('content-type')), /^application\/json/)
    assert.deepEqual(Object.keys(response.body()), ['message'])
  })

  test('a malformed JSON body is a 400 with a message, never HTML: {body}')
    .with([
      { body: '{"name": ' },
      { body: '{name: "x"}' },
      { body: '[1, 2]' },
      { body: '"a string"' },
      { body: 'null' },
    ])
    .run(async ({ client, assert }, { body }) => {
      const { api } = await apiUser(client)
      const response = await api.post('/webhooks').type('application/json').unsafeJson(body)
      response.assertStatus(400)
      assert.match(String(response.header('content-type')), /^application\/json/)
      assert.deepEqual(Object.keys(response.body()), ['message'])
      assert.isString(response.body().message)
    })

  test('a malformed JSON body is a 400 on PATCH too', async ({ client, assert }) => {
    const { api, id } = await apiSubscription(client, 'https://example.com/hook')

    const response = await api
      .patch(`/webhooks/${id}`)
      .type('application/json')
      .unsafeJson('{"name": "x",}')
    response.assertStatus(400)
    assert.match(String(response.header('content-type')), /^application\/json/)
    assert.deepEqual(Object.keys(response.body()), ['message'])
  })

  test('a URL that cannot be decoded is a 4xx in JSON, not the server’s text: {$self}')
    .with(['/webhooks/%E0%A4%A', '/%ED%A0%80', '/webhooks/1/deliveries/%FF'])
    .run(async ({ assert }, path) => {
      // fetch sends the path as written; Japa's client would encode it
      const response = await fetch(`http://${env.get('HOST')}:${env.get('PORT')}${apiPath(path)}`)
      assert.oneOf(response.status, [400, 401, 404])
      assert.match(String(response.headers.get('content-type')), /^application\/json/)
      assert.deepEqual(Object.keys((await response.json()) as object), ['message'])
    })
})
