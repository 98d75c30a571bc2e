import { test } from '@japa/runner'
import { WebhookSubscription } from 'adonis-exo'
import type User from '#models/user'
import { subscribe } from '#tests/helpers/fixtures'
import { apiPath } from '#tests/helpers/api'
import { apiUser, deleteSubscriptions, SUBSCRIPTION_KEYS } from '#tests/helpers/api_fixtures'

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
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('lists the subscriptions of the caller, newest first, without secrets', async ({
    client,
    assert,
  }) => {
    const { user, token } = await apiUser()
    const created = await subscriptionsOf(user, 3)

    const response = await client.get(await apiPath('/webhooks')).bearerToken(token)
    response.assertStatus(200)
    const body = response.body()
    assert.deepEqual(Object.keys(body), ['data', 'has_more', 'next_cursor'])
    assert.isFalse(body.has_more)
    assert.isNull(body.next_cursor)
    assert.deepEqual(
      body.data.map((item: { id: number }) => item.id),
      newestFirst(idsOf(created))
    )
    for (const item of body.data) {
      assert.sameMembers(Object.keys(item), SUBSCRIPTION_KEYS)
      assert.notProperty(item, 'secret')
    }
    assert.equal(body.data[0].masked_secret, `whsec_****${created[2].secret.slice(-4)}`)
  })

  test('an empty list has no next page', async ({ client, assert }) => {
    const { token } = await apiUser()
    const response = await client.get(await apiPath('/webhooks')).bearerToken(token)
    response.assertStatus(200)
    assert.deepEqual(response.body(), { data: [], has_more: false, next_cursor: null })
  })

  test('another user’s subscriptions are never listed, not even to an admin', async ({
    client,
    assert,
  }) => {
    const owner = await apiUser()
    const other = await apiUser()
    const admin = await apiUser({ isAdmin: true })
    const mine = await subscriptionsOf(owner.user, 2)
    await subscriptionsOf(other.user, 2)

    const response = await client.get(await apiPath('/webhooks')).bearerToken(owner.token)
    assert.deepEqual(
      response.body().data.map((item: { id: number }) => item.id),
      newestFirst(idsOf(mine))
    )
    const forAdmin = await client.get(await apiPath('/webhooks')).bearerToken(admin.token)
    assert.deepEqual(forAdmin.body().data, [])
  })

  test('pages hold 50 subscriptions unless limit says otherwise', async ({ client, assert }) => {
    const { user, token } = await apiUser()
    const created = await subscriptionsOf(user, 52)

    const firstPage = await client.get(await apiPath('/webhooks')).bearerToken(token)
    firstPage.assertStatus(200)
    assert.lengthOf(firstPage.body().data, 50)
    assert.isTrue(firstPage.body().has_more)
    assert.isString(firstPage.body().next_cursor)

    const all = await client
      .get(await apiPath('/webhooks'))
      .qs({ limit: 200 })
      .bearerToken(token)
    assert.lengthOf(all.body().data, 52)
    assert.isFalse(all.body().has_more)

    const one = await client
      .get(await apiPath('/webhooks'))
      .qs({ limit: 1 })
      .bearerToken(token)
    assert.deepEqual(
      one.body().data.map((item: { id: number }) => item.id),
      [Number(created[51].id)]
    )
    assert.isTrue(one.body().has_more)
  })

  test('walking the pages with the cursor returns every subscription exactly once', async ({
    client,
    assert,
  }) => {
    const { user, token } = await apiUser()
    const created = await subscriptionsOf(user, 7)

    const seen: number[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const query: Record<string, unknown> = { limit: 2 }
      if (cursor) query.cursor = cursor
      const response = await client
        .get(await apiPath('/webhooks'))
        .qs(query)
        .bearerToken(token)
      response.assertStatus(200)
      const body = response.body()
      seen.push(...body.data.map((item: { id: number }) => item.id))
      assert.equal(body.has_more, body.next_cursor !== null)
      cursor = body.next_cursor
      pages++
    } while (cursor && pages < 10)

    assert.equal(pages, 4)
    assert.deepEqual(seen, newestFirst(idsOf(created)))
  })

  test('a subscription created while walking does not shift the pages', async ({
    client,
    assert,
  }) => {
    const { user, token } = await apiUser()
    const created = await subscriptionsOf(user, 4)

    const first = await client
      .get(await apiPath('/webhooks'))
      .qs({ limit: 2 })
      .bearerToken(token)
    await subscribe(user, 'https://example.com/late')
    const second = await client
      .get(await apiPath('/webhooks'))
      .qs({ limit: 2, cursor: first.body().next_cursor })
      .bearerToken(token)

    const seen = [...first.body().data, ...second.body().data].map(
      (item: { id: number }) => item.id
    )
    assert.deepEqual(seen, newestFirst(idsOf(created)))
    assert.isFalse(second.body().has_more)
  })

  test('filters by resource', async ({ client, assert }) => {
    const { user, token } = await apiUser()
    const order = await subscribe(user, 'https://example.com/order')
    const note = await subscribe(user, 'https://example.com/note', {
      resource: 'note',
      events: ['on_delete'],
    })

    const notes = await client
      .get(await apiPath('/webhooks'))
      .qs({ resource: 'note' })
      .bearerToken(token)
    assert.deepEqual(
      notes.body().data.map((item: { id: number }) => item.id),
      [Number(note.id)]
    )
    const orders = await client
      .get(await apiPath('/webhooks'))
      .qs({ resource: 'order' })
      .bearerToken(token)
    assert.deepEqual(
      orders.body().data.map((item: { id: number }) => item.id),
      [Number(order.id)]
    )
    const none = await client
      .get(await apiPath('/webhooks'))
      .qs({ resource: 'invoice' })
      .bearerToken(token)
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
      const { user, token } = await apiUser()
      const on = await subscribe(user, 'https://example.com/on')
      const off = await subscribe(user, 'https://example.com/off', { isActive: false })

      const response = await client
        .get(await apiPath('/webhooks'))
        .qs({ is_active: value })
        .bearerToken(token)
      response.assertStatus(200)
      assert.deepEqual(
        response.body().data.map((item: { id: number }) => item.id),
        [Number(active ? on.id : off.id)]
      )
      assert.equal(response.body().data[0].is_active, active)
    })

  test('the filters combine with the cursor', async ({ client, assert }) => {
    const { user, token } = await apiUser()
    const active: WebhookSubscription[] = []
    for (let index = 0; index < 5; index++) {
      active.push(await subscribe(user, `https://example.com/on/${index}`))
      await subscribe(user, `https://example.com/off/${index}`, { isActive: false })
    }

    const seen: number[] = []
    let cursor: string | null = null
    do {
      const query: Record<string, unknown> = { limit: 2, is_active: true }
      if (cursor) query.cursor = cursor
      const response = await client
        .get(await apiPath('/webhooks'))
        .qs(query)
        .bearerToken(token)
      seen.push(...response.body().data.map((item: { id: number }) => item.id))
      cursor = response.body().next_cursor
    } while (cursor)

    assert.deepEqual(seen, newestFirst(idsOf(active)))
  })

  test('refuses limit={limit} with a 422 naming limit')
    .with([{ limit: '0' }, { limit: '201' }, { limit: 'abc' }, { limit: '-1' }, { limit: '1.5' }])
    .run(async ({ client, assert }, { limit }) => {
      const { token } = await apiUser()
      const response = await client
        .get(await apiPath('/webhooks'))
        .qs({ limit })
        .bearerToken(token)
      response.assertStatus(422)
      assert.deepEqual(
        response.body().errors.map((error: { field: string }) => error.field),
        ['limit']
      )
    })

  test('refuses is_active=maybe with a 422 naming is_active', async ({ client, assert }) => {
    const { token } = await apiUser()
    const response = await client
      .get(await apiPath('/webhooks'))
      .qs({ is_active: 'maybe' })
      .bearerToken(token)
    response.assertStatus(422)
    assert.deepEqual(
      response.body().errors.map((error: { field: string }) => error.field),
      ['is_active']
    )
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
      const { user, token } = await apiUser()
      await subscribe(user, 'https://example.com/hook')
      const response = await client
        .get(await apiPath('/webhooks'))
        .qs({ cursor })
        .bearerToken(token)
      response.assertStatus(422)
      assert.deepEqual(
        response.body().errors.map((error: { field: string }) => error.field),
        ['cursor']
      )
    })
})
