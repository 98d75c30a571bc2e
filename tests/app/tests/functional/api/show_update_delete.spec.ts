import { setTimeout as sleep } from 'node:timers/promises'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import exo from 'adonis-exo/services/main'
import { WebhookDelivery, WebhookSubscription } from 'adonis-exo'
import Order from '#models/order'
import { subscribe } from '#tests/helpers/fixtures'
import { apiPath } from '#tests/helpers/api'
import {
  apiUser,
  attemptsOf,
  eventually,
  deleteSubscriptions,
  SUBSCRIPTION_KEYS,
  subscriptionBody,
} from '#tests/helpers/api_fixtures'
import { startReceiver } from '#tests/helpers/receiver'

test.group('API | GET /webhooks/:id', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('shows the subscription as it was created, without the secret', async ({
    client,
    assert,
  }) => {
    const { token } = await apiUser()
    const created = await client
      .post(await apiPath('/webhooks'))
      .bearerToken(token)
      .json(subscriptionBody('https://example.com/hook', { headers: { 'X-Team': 'a' } }))

    const response = await client
      .get(await apiPath(`/webhooks/${created.body().id}`))
      .bearerToken(token)
    response.assertStatus(200)
    assert.sameMembers(Object.keys(response.body()), SUBSCRIPTION_KEYS)
    const { secret, ...shown } = created.body()
    assert.deepEqual(response.body(), shown)
    assert.equal(response.body().masked_secret, `whsec_****${secret.slice(-4)}`)
  })

  test('an id that does not exist is a 404 with a message', async ({ client, assert }) => {
    const { token } = await apiUser()
    const response = await client.get(await apiPath('/webhooks/999999999')).bearerToken(token)
    response.assertStatus(404)
    assert.deepEqual(Object.keys(response.body()), ['message'])
  })
})

test.group('API | a subscription of another user is a 404 everywhere', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  const requests: {
    action: string
    method: 'get' | 'put' | 'patch' | 'delete' | 'post'
    path: string
    body?: Record<string, unknown>
  }[] = [
    { action: 'show', method: 'get', path: '' },
    { action: 'PUT', method: 'put', path: '', body: { name: 'mine now' } },
    { action: 'PATCH', method: 'patch', path: '', body: { name: 'mine now' } },
    { action: 'delete', method: 'delete', path: '' },
    { action: 'rotate', method: 'post', path: '/rotate-secret' },
    { action: 'ping', method: 'post', path: '/ping' },
    { action: 'deliveries', method: 'get', path: '/deliveries' },
    { action: 'delivery', method: 'get', path: '/deliveries/:delivery' },
    { action: 'redeliver', method: 'post', path: '/deliveries/:delivery/redeliver' },
    { action: 'replay', method: 'post', path: '/replay', body: { since: '2020-01-01T00:00:00Z' } },
  ]

  for (const caller of ['another user', 'an admin'] as const) {
    test(`${caller}: {action}`)
      .with(requests)
      .run(async ({ client, assert, cleanup }, request) => {
        const receiver = await startReceiver()
        cleanup(() => receiver.close())
        const owner = await apiUser()
        const stranger = await apiUser({ isAdmin: caller === 'an admin' })
        const subscription = await subscribe(owner.user, receiver.url)
        const [delivery] = await exo.subscriptions
          .ping(subscription)
          .then(() => WebhookDelivery.query().where('subscription_id', subscription.id))
        const before = await WebhookSubscription.findOrFail(subscription.id)

        const path = await apiPath(
          `/webhooks/${subscription.id}${request.path.replace(':delivery', delivery.id)}`
        )
        const pending = client
          .request(path, request.method.toUpperCase())
          .bearerToken(stranger.token)
        const response = await (request.body ? pending.json(request.body) : pending)

        response.assertStatus(404)
        assert.deepEqual(Object.keys(response.body()), ['message'])

        const after = await WebhookSubscription.findOrFail(subscription.id)
        assert.equal(after.name, before.name)
        assert.equal(after.secret, before.secret)
        await sleep(100)
        assert.lengthOf(receiver.received, 1, 'only the setup ping reached the receiver')
        assert.lengthOf(
          await WebhookDelivery.query().where('subscription_id', subscription.id),
          1,
          'nothing was queued'
        )
      })
  }
})

test.group('API | PUT and PATCH /webhooks/:id', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  async function created(client: any, token: string, overrides = {}) {
    const response = await client
      .post(await apiPath('/webhooks'))
      .bearerToken(token)
      .json(
        subscriptionBody('https://example.com/hook', {
          description: 'first',
          headers: { 'X-Team': 'a' },
          auth: { type: 'basic', username: 'u', password: 'p' },
          secret_header: { name: 'X-Webhook-Secret', value: 'shared' },
          notification_emails: ['ops@example.com'],
          metadata: { a: 1 },
          ...overrides,
        })
      )
    response.assertStatus(201)
    return response.body()
  }

  for (const method of ['patch', 'put'] as const) {
    test(`${method.toUpperCase()} changes only the fields it is given`, async ({
      client,
      assert,
    }) => {
      const { token } = await apiUser()
      const original = await created(client, token)

      const response = await client[method](await apiPath(`/webhooks/${original.id}`))
        .bearerToken(token)
        .json({ name: 'renamed', events: ['on_create', 'on_delete'] })
      response.assertStatus(200)
      assert.sameMembers(Object.keys(response.body()), SUBSCRIPTION_KEYS)

      const { secret, updated_at: createdUpdatedAt, ...unchanged } = original
      const { updated_at: updatedAt, ...updated } = response.body()
      assert.isAtLeast(Date.parse(updatedAt), Date.parse(createdUpdatedAt))
      assert.deepEqual(updated, {
        ...unchanged,
        name: 'renamed',
        events: ['on_create', 'on_delete'],
      })
      const shown = await client.get(await apiPath(`/webhooks/${original.id}`)).bearerToken(token)
      assert.deepEqual(shown.body(), response.body())

      const stored = await WebhookSubscription.findOrFail(original.id)
      assert.equal(stored.secret, secret)
      assert.deepEqual(stored.auth, { type: 'basic', username: 'u', password: 'p' })
      assert.deepEqual(stored.secretHeader, { name: 'X-Webhook-Secret', value: 'shared' })
    })
  }

  test('replaces credentials and clears them with null', async ({ client, assert }) => {
    const { token } = await apiUser()
    const original = await created(client, token)
    const path = await apiPath(`/webhooks/${original.id}`)

    const replaced = await client
      .patch(path)
      .bearerToken(token)
      .json({
        auth: { type: 'bearer', token: 'new-token' },
        secret_header: { name: 'X-Other', value: 'v2' },
      })
    replaced.assertStatus(200)
    assert.deepEqual(replaced.body().auth, { type: 'bearer' })
    assert.deepEqual(replaced.body().secret_header, { name: 'X-Other' })
    let stored = await WebhookSubscription.findOrFail(original.id)
    assert.deepEqual(stored.auth, { type: 'bearer', token: 'new-token' })

    const cleared = await client
      .patch(path)
      .bearerToken(token)
      .json({ auth: null, secret_header: null, description: null })
    cleared.assertStatus(200)
    assert.isNull(cleared.body().auth)
    assert.isNull(cleared.body().secret_header)
    assert.isNull(cleared.body().description)
    stored = await WebhookSubscription.findOrFail(original.id)
    assert.isNull(stored.auth)
    assert.isNull(stored.secretHeader)
  })

  test('validates what it changes: {title}')
    .with([
      { title: 'url', body: { url: 'ftp://example.com' }, field: 'url' },
      { title: 'empty events', body: { events: [] }, field: 'events' },
      { title: 'reserved header', body: { headers: { Host: 'x' } }, field: 'headers.Host' },
      { title: 'auth shape', body: { auth: { type: 'basic' } }, field: 'auth.username' },
      { title: 'email', body: { notification_emails: ['nope'] }, field: 'notification_emails.0' },
      { title: 'is_active', body: { is_active: 'no' }, field: 'is_active' },
    ])
    .run(async ({ client, assert }, { body, field }) => {
      const { token } = await apiUser()
      const original = await created(client, token)
      const response = await client
        .patch(await apiPath(`/webhooks/${original.id}`))
        .bearerToken(token)
        .json(body)
      response.assertStatus(422)
      assert.include(
        response.body().errors.map((error: { field: string }) => error.field),
        field
      )
      const shown = await client.get(await apiPath(`/webhooks/${original.id}`)).bearerToken(token)
      const { secret, ...unchanged } = original
      assert.deepEqual(shown.body(), unchanged)
      assert.notInclude(JSON.stringify(shown.body()), secret)
    })

  test('events are checked against the subscription’s resource', async ({ client, assert }) => {
    const { token } = await apiUser()
    const note = await created(client, token, { resource: 'note', events: ['on_delete'] })
    const response = await client
      .patch(await apiPath(`/webhooks/${note.id}`))
      .bearerToken(token)
      .json({ events: ['on_update'] })
    response.assertStatus(422)
    assert.deepEqual(
      response.body().errors.map((error: { field: string }) => error.field),
      ['events.0']
    )
  })

  test('changing the resource is a 422; giving the same one is fine', async ({
    client,
    assert,
  }) => {
    const { token } = await apiUser()
    const original = await created(client, token)
    const path = await apiPath(`/webhooks/${original.id}`)

    const changed = await client
      .patch(path)
      .bearerToken(token)
      .json({ resource: 'note', events: ['on_delete'] })
    changed.assertStatus(422)
    assert.include(
      changed.body().errors.map((error: { field: string }) => error.field),
      'resource'
    )
    const stored = await WebhookSubscription.findOrFail(original.id)
    assert.equal(stored.resource, 'order')

    const same = await client.put(path).bearerToken(token).json({ resource: 'order' })
    same.assertStatus(200)
    assert.equal(same.body().resource, 'order')
  })

  test('webhook_version and the secret are not changed by an update', async ({
    client,
    assert,
  }) => {
    const { token } = await apiUser()
    const original = await created(client, token)

    const response = await client
      .patch(await apiPath(`/webhooks/${original.id}`))
      .bearerToken(token)
      .json({ webhook_version: '2', secret: `whsec_${'A'.repeat(43)}=`, name: 'renamed' })
    assert.oneOf(response.status(), [200, 422])
    const stored = await WebhookSubscription.findOrFail(original.id)
    assert.equal(stored.webhookVersion, '1')
    assert.equal(stored.secret, original.secret)
    if (response.status() === 200) {
      assert.equal(response.body().webhook_version, '1')
      assert.equal(response.body().masked_secret, original.masked_secret)
    }
  })

  test('is_active false then true re-enables: failure_count 0, disabled_at cleared', async ({
    client,
    assert,
  }) => {
    const { token } = await apiUser()
    const original = await created(client, token)
    const path = await apiPath(`/webhooks/${original.id}`)

    const stored = await WebhookSubscription.findOrFail(original.id)
    stored.failureCount = 20
    stored.disabledAt = DateTime.now()
    stored.disabledReason = '20 consecutive failed attempts'
    await stored.save()

    const off = await client.patch(path).bearerToken(token).json({ is_active: false })
    off.assertStatus(200)
    assert.isFalse(off.body().is_active)
    assert.equal(off.body().failure_count, 20)

    const on = await client.patch(path).bearerToken(token).json({ is_active: true })
    on.assertStatus(200)
    assert.isTrue(on.body().is_active)
    assert.equal(on.body().failure_count, 0)
    assert.isNull(on.body().disabled_at)
    assert.isNull(on.body().disabled_reason)

    await stored.refresh()
    assert.isTrue(stored.isActive)
    assert.equal(stored.failureCount, 0)
    assert.isNull(stored.disabledAt)
    assert.isNull(stored.disabledReason)
  })

  test('is_active true re-enables a subscription that was disabled for failing', async ({
    client,
    assert,
  }) => {
    const { token } = await apiUser()
    const original = await created(client, token)
    const stored = await WebhookSubscription.findOrFail(original.id)
    stored.isActive = false
    stored.failureCount = 20
    stored.disabledAt = DateTime.now()
    stored.disabledReason = '20 consecutive failed attempts'
    await stored.save()

    const shown = await client.get(await apiPath(`/webhooks/${original.id}`)).bearerToken(token)
    assert.equal(shown.body().disabled_reason, '20 consecutive failed attempts')
    assert.isString(shown.body().disabled_at)

    const on = await client
      .put(await apiPath(`/webhooks/${original.id}`))
      .bearerToken(token)
      .json({ is_active: true })
    on.assertStatus(200)
    assert.containsSubset(on.body(), {
      is_active: true,
      failure_count: 0,
      disabled_at: null,
      disabled_reason: null,
    })
  })
})

test.group('API | DELETE /webhooks/:id', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('answers 204, then the subscription is a 404', async ({ client, assert }) => {
    const { token } = await apiUser()
    const created = await client
      .post(await apiPath('/webhooks'))
      .bearerToken(token)
      .json(subscriptionBody('https://example.com/hook'))
    const path = await apiPath(`/webhooks/${created.body().id}`)

    const response = await client.delete(path).bearerToken(token)
    response.assertStatus(204)
    assert.equal(response.text(), '')

    const shown = await client.get(path).bearerToken(token)
    shown.assertStatus(404)
    const deletedAgain = await client.delete(path).bearerToken(token)
    deletedAgain.assertStatus(404)
    const patched = await client.patch(path).bearerToken(token).json({ name: 'x' })
    patched.assertStatus(404)
    assert.isNull(await WebhookSubscription.find(created.body().id))
  })

  test('its pending attempts are never sent', async ({ client, assert, cleanup }) => {
    const receiver = await startReceiver({ status: 500 })
    cleanup(() => receiver.close())
    const { user, token } = await apiUser()
    const created = await client
      .post(await apiPath('/webhooks'))
      .bearerToken(token)
      .json(subscriptionBody(receiver.url))
    const id = created.body().id

    await Order.create({ userId: user.id, total: 1, status: 'new' })
    await receiver.waitFor(1)
    // The retry, not the first attempt (still pending until its outcome is written)
    const isRetry = (row: { status: string; attempt: number }) =>
      row.status === 'pending' && Number(row.attempt) === 2
    const attempts = await attemptsOf(id, (rows) => rows.some(isRetry))
    const pending = attempts.find(isRetry)!
    receiver.respondWith(200)

    const deleted = await client.delete(await apiPath(`/webhooks/${id}`)).bearerToken(token)
    deleted.assertStatus(204)

    // The retry's job is still in Redis: run it now instead of in 30s
    const queue = exo.queue.queue(await exo.queueFor('order'))
    const job = await eventually(
      () => queue.getJob(pending.id),
      (found) => found !== undefined
    )
    await job!.promote()
    // And as the sweeper would, queue it again
    await exo.sweeper.sweep(Date.now() + 3_600_000)
    await sleep(1500)

    assert.lengthOf(receiver.received, 1)
    const left = await db.from('exo_deliveries').where('subscription_id', id)
    assert.deepEqual(left, [], 'the attempts of a deleted subscription are deleted with it')
  })
})
