import { test } from '@japa/runner'
import { WebhookSubscription } from 'adonis-exo'
import type User from '#models/user'
import { subscribe } from '#tests/helpers/fixtures'
import {
  apiUser,
  deleteSubscriptions,
  errorFields,
  itemIds,
  SUBSCRIPTION_KEYS,
  walkPages,
} from '#tests/helpers/api_fixtures'

async function subscriptionsOf(user: User, count: number) {
  const created: WebhookSubscription[] = []
  for (let index = 0; index < count; index++) {
    created.push(await subscribe(user, `https://example.com/hook/${index}`, { name: `#${index}` }))
  }
  return created
}

function idsOf(subscriptions: WebhookSubscription[]) {
  return subscriptions.map((subscription) => Number(subscription.id))
}

function newestFirst(ids: number[]) {
  return [...ids].sort((a, b) => b - a)
}

test.group('API | GET /webhooks', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('lists the subscriptions of the caller, newest first, without secrets', async ({
    client,
    assert,
  }) => {
    const { user, api } = await apiUser(client)
    const created = await subscriptionsOf(user, 3)

    const response = await api.get('/webhooks')
    response.assertStatus(200)
    const body = response.body()
    assert.deepEqual(Object.keys(body), ['data', 'has_more', 'next_cursor'])
    assert.isFalse(body.has_more)
    assert.isNull(body.next_cursor)
    assert.deepEqual(itemIds(body), newestFirst(idsOf(created)))
    for (const item of body.data) {
      assert.sameMembers(Object.keys(item), SUBSCRIPTION_KEYS)
      assert.notProperty(item, 'secret')
    }
    assert.equal(body.data[0].masked_secret, `whsec_****${created[2].secret.slice(-4)}`)
  })

  test('an empty list has no next page', async ({ client, assert }) => {
    const { api } = await apiUser(client)
    const response = await api.get('/webhooks')
    response.assertStatus(200)
    assert.deepEqual(response.body(), { data: [], has_more: false, next_cursor: null })
  })

  test('another user’s subscriptions are never listed, not even to an admin', async ({
    client,
    assert,
  }) => {
    const owner = await apiUser(client)
    const other = await apiUser(client)
    const admin = await apiUser(client, { isAdmin: true })
    const mine = await subscriptionsOf(owner.user, 2)
    await subscriptionsOf(other.user, 2)

    const response = await owner.api.get('/webhooks')
    assert.deepEqual(itemIds(response.body()), newestFirst(idsOf(mine)))
    const forAdmin = await admin.api.get('/webhooks')
    assert.deepEqual(forAdmin.body().data, [])
  })

  test('pages hold 50 subscriptions unless limit says otherwise', async ({ client, assert }) => {
    const { user, api } = await apiUser(client)
    const created = await subscriptionsOf(user, 52)

    const firstPage = await api.get('/webhooks')
    firstPage.assertStatus(200)
    assert.lengthOf(firstPage.body().data, 50)
    assert.isTrue(firstPage.body().has_more)
    assert.isString(firstPage.body().next_cursor)

    const all = await api.get('/webhooks').qs({ limit: 200 })
    assert.lengthOf(all.body().data, 52)
    assert.isFalse(all.body().has_more)

    const one = await api.get('/webhooks').qs({ limit: 1 })
    assert.deepEqual(itemIds(one.body()), [Number(created[51].id)])
    assert.isTrue(one.body().has_more)
  })

  test('walking the pages with the cursor returns every subscription exactly once', async ({
    client,
    assert,
  }) => {
    const { user, api } = await apiUser(client)
    const created = await subscriptionsOf(user, 7)

    const pages = await walkPages(api, '/webhooks', { limit: 2 })
    for (const page of pages) assert.equal(page.has_more, page.next_cursor !== null)

    assert.lengthOf(pages, 4)
    assert.deepEqual(itemIds(...pages), newestFirst(idsOf(created)))
  })

  test('a subscription created while walking does not shift the pages', async ({
    client,
    assert,
  }) => {
    const { user, api } = await apiUser(client)
    const created = await subscriptionsOf(user, 4)

    const first = await api.get('/webhooks').qs({ limit: 2 })
    await subscribe(user, 'https://example.com/late')
    const second = await api.get('/webhooks').qs({ limit: 2, cursor: first.body().next_cursor })

    assert.deepEqual(itemIds(first.body(), second.body()), newestFirst(idsOf(created)))
    assert.isFalse(second.body().has_more)
  })

  test('filters by resource', async ({ client, assert }) => {
    const { user, api } = await apiUser(client)
    const order = await subscribe(user, 'https://example.com/order')
    const note = await subscribe(user, 'https://example.com/note', {
      resource: 'note',
      events: ['on_delete'],
    })

    const notes = await api.get('/webhooks').qs({ resource: 'note' })
    assert.deepEqual(itemIds(notes.body()), [Number(note.id)])
    const orders = await api.get('/webhooks').qs({ resource: 'order' })
    assert.deepEqual(itemIds(orders.body()), [Number(order.id)])
    const none = await api.get('/webhooks').qs({ resource: 'invoice' })
    assert.deepEqual(none.body().data, [])
  })

  test('filters by is_active={value}')
    .with([
      { value: 'true', active: true },
      { value: 'false', active: false },
      { value: '1', active: true },
      { value: '0', active: false },
    ])
    .run(async ({ client, assert }, { value, active }) => {
      const { user, api } = await apiUser(client)
      const on = await subscribe(user, 'https://example.com/on')
      const off = await subscribe(user, 'https://example.com/off', { isActive: false })

      const response = await api.get('/webhooks').qs({ is_active: value })
      response.assertStatus(200)
      assert.deepEqual(itemIds(response.body()), [Number(active ? on.id : off.id)])
      assert.equal(response.body().data[0].is_active, active)
    })

  test('the filters combine with the cursor', async ({ client, assert }) => {
    const { user, api } = await apiUser(client)
    const active: WebhookSubscription[] = []
    for (let index = 0; index < 5; index++) {
      active.push(await subscribe(user, `https://example.com/on/${index}`))
      await subscribe(user, `https://example.com/off/${index}`, { isActive: false })
    }

    const pages = await walkPages(api, '/webhooks', { limit: 2, is_active: true })
    assert.deepEqual(itemIds(...pages), newestFirst(idsOf(active)))
  })

  test('refuses limit={limit} with a 422 naming limit')
    .with([{ limit: '0' }, { limit: '201' }, { limit: 'abc' }, { limit: '-1' }, { limit: '1.5' }])
    .run(async ({ client, assert }, { limit }) => {
      const { api } = await apiUser(client)
      const response = await api.get('/webhooks').qs({ limit })
      response.assertStatus(422)
      assert.deepEqual(errorFields(response), ['limit'])
    })

  test('refuses is_active=maybe with a 422 naming is_active', async ({ client, assert }) => {
    const { api } = await apiUser(client)
    const response = await api.get('/webhooks').qs({ is_active: 'maybe' })
    response.assertStatus(422)
    assert.deepEqual(errorFields(response), ['is_active'])
  })

  test('refuses a cursor it did not issue with a 422 naming cursor: {cursor}')
    .with([
      { cursor: 'garbage' },
      { cursor: Buffer.from('["abc"]').toString('base64url') },
      { cursor: Buffer.from('{}').toString('base64url') },
      { cursor: Buffer.from('[]').toString('base64url') },
      { cursor: Buffer.from('[1.5e400]').toString('base64url') },
      { cursor: 'x'.repeat(300) },
    ])
    .run(async ({ client, assert }, { cursor }) => {
      const { user, api } = await apiUser(client)
      await subscribe(user, 'https://example.com/hook')
      const response = await api.get('/webhooks').qs({ cursor })
      response.assertStatus(422)
      assert.deepEqual(errorFields(response), ['cursor'])
    })
})
