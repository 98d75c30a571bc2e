import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import exo from 'adonis-exo/services/main'
import { WebhookDelivery, WebhookSubscription } from 'adonis-exo'
import Order from '#models/order'
import { subscribe } from '#tests/helpers/fixtures'
import {
  apiSubscribedReceiver,
  apiSubscription,
  apiUser,
  attemptsOf,
  deleteSubscriptions,
  errorFields,
  EVERY_OPTIONAL_FIELD,
  SUBSCRIPTION_KEYS,
} from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'
import { startReceiver } from '#tests/helpers/receiver'

test.group('API | GET /webhooks/:id', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('shows the subscription as it was created, without the secret', async ({
    client,
    assert,
  }) => {
    const { api, created } = await apiSubscription(client, 'https://example.com/hook', {
      headers: { 'X-Team': 'a' },
    })

    const response = await api.get(`/webhooks/${created.id}`)
    response.assertStatus(200)
    assert.sameMembers(Object.keys(response.body()), SUBSCRIPTION_KEYS)
    const { secret, ...shown } = created
    assert.deepEqual(response.body(), shown)
    assert.equal(response.body().masked_secret, `whsec_****${secret.slice(-4)}`)
  })

  test('an id that does not exist is a 404 with a message', async ({ client, assert }) => {
    const { api } = await apiUser(client)
    const response = await api.get('/webhooks/999999999')
    response.assertStatus(404)
    assert.deepEqual(Object.keys(response.body()), ['message'])
  })
})

test.group('API | a subscription of another user is a 404 everywhere', (group) => {
  group.each.teardown(deleteSubscriptions)

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
        const owner = await apiUser(client)
        const stranger = await apiUser(client, { isAdmin: caller === 'an admin' })
        const subscription = await subscribe(owner.user, receiver.url)
        const [delivery] = await exo.subscriptions
          .ping(subscription)
          .then(() => WebhookDelivery.query().where('subscription_id', subscription.id))
        const before = await WebhookSubscription.findOrFail(subscription.id)

        const path = `/webhooks/${subscription.id}${request.path.replace(':delivery', delivery.id)}`
        const pending = stranger.api.request(request.method.toUpperCase(), path)
        const response = await (request.body ? pending.json(request.body) : pending)

        response.assertStatus(404)
        assert.deepEqual(Object.keys(response.body()), ['message'])

        const after = await WebhookSubscription.findOrFail(subscription.id)
        assert.equal(after.name, before.name)
        assert.equal(after.secret, before.secret)
        // A ping is sent, a redelivery or a replay written, before the answer
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
  group.each.teardown(deleteSubscriptions)

  /** A new API user's subscription with every optional field set */
  function subscriptionWithEveryField(client: ApiClient, overrides = {}) {
    return apiSubscription(client, 'https://example.com/hook', {
      ...EVERY_OPTIONAL_FIELD,
      ...overrides,
    })
  }

  /** Stores the subscription as 20 failed attempts in a row leave it */
  async function failedTwentyTimes(id: number, attributes: { isActive?: boolean } = {}) {
    const stored = await WebhookSubscription.findOrFail(id)
    stored.merge({
      failureCount: 20,
      disabledAt: DateTime.now(),
      disabledReason: '20 consecutive failed attempts',
      ...attributes,
    })
    await stored.save()
    return stored
  }

  for (const method of ['patch', 'put'] as const) {
    test(`${method.toUpperCase()} changes only the fields it is given`, async ({
      client,
      assert,
    }) => {
      const { api, created: original } = await subscriptionWithEveryField(client)

      const response = await api[method](`/webhooks/${original.id}`).json({
        name: 'renamed',
        events: ['on_create', 'on_delete'],
      })
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
      const shown = await api.get(`/webhooks/${original.id}`)
      assert.deepEqual(shown.body(), response.body())

      const stored = await WebhookSubscription.findOrFail(original.id)
      assert.equal(stored.secret, secret)
      assert.deepEqual(stored.auth, EVERY_OPTIONAL_FIELD.auth)
      assert.deepEqual(stored.secretHeader, EVERY_OPTIONAL_FIELD.secret_header)
    })
  }

  test('replaces credentials and clears them with null', async ({ client, assert }) => {
    const { api, created: original } = await subscriptionWithEveryField(client)
    const path = `/webhooks/${original.id}`

    const replaced = await api.patch(path).json({
      auth: { type: 'bearer', token: 'new-token' },
      secret_header: { name: 'X-Other', value: 'v2' },
    })
    replaced.assertStatus(200)
    assert.deepEqual(replaced.body().auth, { type: 'bearer' })
    assert.deepEqual(replaced.body().secret_header, { name: 'X-Other' })
    let stored = await WebhookSubscription.findOrFail(original.id)
    assert.deepEqual(stored.auth, { type: 'bearer', token: 'new-token' })

    const cleared = await api
      .patch(path)
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
      {
        title: 'url with credentials',
        body: { url: 'https://user:pass@example.com/hook' },
        field: 'url',
      },
      { title: 'empty name', body: { name: '' }, field: 'name' },
      { title: 'blank name', body: { name: '   ' }, field: 'name' },
      { title: 'empty events', body: { events: [] }, field: 'events' },
      { title: 'reserved header', body: { headers: { Host: 'x' } }, field: 'headers.Host' },
      { title: 'auth shape', body: { auth: { type: 'basic' } }, field: 'auth.username' },
      { title: 'email', body: { notification_emails: ['nope'] }, field: 'notification_emails.0' },
      { title: 'is_active', body: { is_active: 'no' }, field: 'is_active' },
    ])
    .run(async ({ client, assert }, { body, field }) => {
      const { api, created: original } = await subscriptionWithEveryField(client)
      const response = await api.patch(`/webhooks/${original.id}`).json(body)
      response.assertStatus(422)
      assert.include(errorFields(response), field)
      const shown = await api.get(`/webhooks/${original.id}`)
      const { secret, ...unchanged } = original
      assert.deepEqual(shown.body(), unchanged)
      assert.notInclude(JSON.stringify(shown.body()), secret)
    })

  test('events are checked against the subscription’s resource', async ({ client, assert }) => {
    const { api, created: note } = await subscriptionWithEveryField(client, {
      resource: 'note',
      events: ['on_delete'],
    })
    const response = await api.patch(`/webhooks/${note.id}`).json({ events: ['on_update'] })
    response.assertStatus(422)
    assert.deepEqual(response.body().errors, [
      {
        field: 'events.0',
        rule: 'trigger',
        message: 'The events.0 field must be on_delete: the note resource has no on_update trigger',
      },
    ])
  })

  test('a blank name is refused by name; without a name, the name is kept', async ({
    client,
    assert,
  }) => {
    const { api, created: original } = await subscriptionWithEveryField(client, { name: 'CRM' })
    const path = `/webhooks/${original.id}`

    const blank = await api.patch(path).json({ name: ' ' })
    blank.assertStatus(422)
    assert.deepEqual(blank.body().errors, [
      { field: 'name', rule: 'minLength', message: 'The name field must not be blank' },
    ])

    const renamed = await api.put(path).json({ url: 'https://hooks.example.com/x' })
    renamed.assertStatus(200)
    assert.equal(renamed.body().name, 'CRM')
  })

  test('changing the resource is a 422; giving the same one is fine', async ({
    client,
    assert,
  }) => {
    const { api, created: original } = await subscriptionWithEveryField(client)
    const path = `/webhooks/${original.id}`

    const changed = await api.patch(path).json({ resource: 'note', events: ['on_delete'] })
    changed.assertStatus(422)
    assert.include(errorFields(changed), 'resource')
    const stored = await WebhookSubscription.findOrFail(original.id)
    assert.equal(stored.resource, 'order')

    const same = await api.put(path).json({ resource: 'order' })
    same.assertStatus(200)
    assert.equal(same.body().resource, 'order')
  })

  test('webhook_version and the secret are not changed by an update', async ({
    client,
    assert,
  }) => {
    const { api, created: original } = await subscriptionWithEveryField(client)

    const response = await api
      .patch(`/webhooks/${original.id}`)
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
    const { api, created: original } = await subscriptionWithEveryField(client)
    const path = `/webhooks/${original.id}`

    const stored = await failedTwentyTimes(original.id)

    const off = await api.patch(path).json({ is_active: false })
    off.assertStatus(200)
    assert.isFalse(off.body().is_active)
    assert.equal(off.body().failure_count, 20)

    const on = await api.patch(path).json({ is_active: true })
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
    const { api, created: original } = await subscriptionWithEveryField(client)
    await failedTwentyTimes(original.id, { isActive: false })

    const shown = await api.get(`/webhooks/${original.id}`)
    assert.equal(shown.body().disabled_reason, '20 consecutive failed attempts')
    assert.isString(shown.body().disabled_at)

    const on = await api.put(`/webhooks/${original.id}`).json({ is_active: true })
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
  group.each.teardown(deleteSubscriptions)

  test('answers 204, then the subscription is a 404', async ({ client, assert }) => {
    const { api, id } = await apiSubscription(client, 'https://example.com/hook')
    const path = `/webhooks/${id}`

    const response = await api.delete(path)
    response.assertStatus(204)
    assert.equal(response.text(), '')

    const shown = await api.get(path)
    shown.assertStatus(404)
    const deletedAgain = await api.delete(path)
    deletedAgain.assertStatus(404)
    const patched = await api.patch(path).json({ name: 'x' })
    patched.assertStatus(404)
    assert.isNull(await WebhookSubscription.find(id))
  })

  test('its pending attempts are never sent', async ({ client, assert, cleanup }) => {
    const { receiver, user, api, id } = await apiSubscribedReceiver(
      { client, cleanup },
      { status: 500 }
    )

    await Order.create({ userId: user.id, total: 1, status: 'new' })
    await receiver.waitFor(1)
    // The retry, not the first attempt (still pending until its outcome is written)
    const isRetry = (row: { status: string; attempt: number }) =>
      row.status === 'pending' && Number(row.attempt) === 2
    const attempts = await attemptsOf(id, (rows) => rows.some(isRetry))
    const pending = attempts.find(isRetry)!
    receiver.respondWith(200)

    const deleted = await api.delete(`/webhooks/${id}`)
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
    // Run by a worker: taken, and done with
    await eventually(
      () => queue.getJobState(pending.id),
      (state) => ['completed', 'failed', 'unknown'].includes(state),
      { what: 'The promoted retry run' }
    )

    assert.lengthOf(receiver.received, 1)
    const left = await db.from('exo_deliveries').where('subscription_id', id)
    assert.deepEqual(left, [], 'the attempts of a deleted subscription are deleted with it')
  })
})
