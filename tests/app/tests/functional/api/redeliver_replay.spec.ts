import { setTimeout as sleep } from 'node:timers/promises'
import { test } from '@japa/runner'
import Order from '#models/order'
import type User from '#models/user'
import { apiPath } from '#tests/helpers/api'
import {
  apiUser,
  attemptsOf,
  deleteSubscriptions,
  subscriptionBody,
} from '#tests/helpers/api_fixtures'
import { startReceiver, type Receiver } from '#tests/helpers/receiver'

/**
 * Creates orders one after the other, each delivered before the next, and
 * returns their event ids, oldest first.
 */
async function deliveredOrders(user: User, receiver: Receiver, count: number) {
  const ids: string[] = []
  for (let index = 0; index < count; index++) {
    await Order.create({ userId: user.id, total: index, status: 'new' })
    const received = await receiver.waitFor(receiver.received.length + 1)
    ids.push(received[received.length - 1].json.id)
  }
  return ids
}

async function subscribed(client: any, url: string, overrides = {}) {
  const { user, token } = await apiUser()
  const response = await client
    .post(await apiPath('/webhooks'))
    .bearerToken(token)
    .json(subscriptionBody(url, overrides))
  response.assertStatus(201)
  return { user, token, id: response.body().id as number }
}

test.group('API | POST /webhooks/:id/deliveries/:deliveryId/redeliver', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('answers 202 and the receiver gets the same event again, as a new attempt', async ({
    client,
    assert,
    cleanup,
  }) => {
    const receiver = await startReceiver()
    cleanup(() => receiver.close())
    const { user, token, id } = await subscribed(client, receiver.url)
    await deliveredOrders(user, receiver, 1)
    const [first] = await attemptsOf(id, (rows) => rows[0]?.status === 'success')

    const response = await client
      .post(await apiPath(`/webhooks/${id}/deliveries/${first.id}/redeliver`))
      .bearerToken(token)
    response.assertStatus(202)
    assert.equal(response.body().event_id, first.eventId)
    assert.match(response.body().id, /^dlv_/)
    assert.notEqual(response.body().id, first.id)

    const [original, again] = await receiver.waitFor(2)
    assert.equal(again.body, original.body)
    assert.equal(again.headers['webhook-id'], original.headers['webhook-id'])
    assert.equal(again.headers['x-exo-event'], original.headers['x-exo-event'])
    assert.notEqual(again.headers['x-exo-delivery'], original.headers['x-exo-delivery'])
    assert.equal(again.headers['x-exo-delivery'], response.body().id)

    const attempts = await attemptsOf(id, (rows) => rows.every((row) => row.status !== 'pending'))
    assert.deepEqual(
      attempts.map((attempt) => [attempt.id, attempt.eventId, attempt.attempt, attempt.status]),
      [
        [first.id, first.eventId, 1, 'success'],
        [response.body().id, first.eventId, 2, 'success'],
      ]
    )
    await sleep(300)
    assert.lengthOf(receiver.received, 2)
  })

  test('a failed attempt can be redelivered once the receiver is back', async ({
    client,
    assert,
    cleanup,
  }) => {
    const receiver = await startReceiver({ status: 500 })
    cleanup(() => receiver.close())
    const { token, id } = await subscribed(client, receiver.url)
    await client.post(await apiPath(`/webhooks/${id}/ping`)).bearerToken(token)
    const [failed] = await attemptsOf(id)
    receiver.respondWith(200)

    const response = await client
      .post(await apiPath(`/webhooks/${id}/deliveries/${failed.id}/redeliver`))
      .bearerToken(token)
    response.assertStatus(202)
    const [, again] = await receiver.waitFor(2)
    assert.equal(again.json.event, 'ping')
    assert.equal(again.headers['webhook-id'], failed.eventId)
    await attemptsOf(id, (rows) => rows.length === 2 && rows[1].status === 'success')
  })

  test('an unknown delivery id is a 404', async ({ client, assert }) => {
    const { token, id } = await subscribed(client, 'https://example.com/hook')
    const response = await client
      .post(await apiPath(`/webhooks/${id}/deliveries/dlv_01J0000000000000000000000/redeliver`))
      .bearerToken(token)
    response.assertStatus(404)
    assert.deepEqual(Object.keys(response.body()), ['message'])
  })
})

test.group('API | POST /webhooks/:id/replay', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('{event_id}: 202 {queued}, every matching event from that one on is sent again', async ({
    client,
    assert,
    cleanup,
  }) => {
    const receiver = await startReceiver()
    cleanup(() => receiver.close())
    const { user, token, id } = await subscribed(client, receiver.url)
    const eventIds = await deliveredOrders(user, receiver, 4)

    // Events this subscription never matched: another trigger, another owner's order
    const order = await Order.create({ userId: user.id, total: 1, status: 'new' })
    const sentinel = await receiver.waitFor(5)
    eventIds.push(sentinel[4].json.id)
    order.total = 2
    await order.save()
    const stranger = await apiUser()
    await Order.create({ userId: stranger.user.id, total: 1, status: 'new' })
    await sleep(300)
    assert.lengthOf(receiver.received, 5)

    const response = await client
      .post(await apiPath(`/webhooks/${id}/replay`))
      .bearerToken(token)
      .json({ event_id: eventIds[1] })
    response.assertStatus(202)
    assert.deepEqual(response.body(), { queued: 4 })

    const received = await receiver.waitFor(9)
    await sleep(300)
    assert.lengthOf(receiver.received, 9)
    assert.sameMembers(
      received.slice(5).map((request) => request.json.id),
      eventIds.slice(1)
    )
    for (const request of received.slice(5)) {
      assert.equal(request.json.event, 'on_create')
      assert.equal(request.headers['webhook-id'], request.json.id)
    }
  })

  test('{event_id} of the last event queues that one alone', async ({
    client,
    assert,
    cleanup,
  }) => {
    const receiver = await startReceiver()
    cleanup(() => receiver.close())
    const { user, token, id } = await subscribed(client, receiver.url)
    const eventIds = await deliveredOrders(user, receiver, 3)

    const response = await client
      .post(await apiPath(`/webhooks/${id}/replay`))
      .bearerToken(token)
      .json({ event_id: eventIds[2] })
    response.assertStatus(202)
    assert.deepEqual(response.body(), { queued: 1 })
    const received = await receiver.waitFor(4)
    assert.equal(received[3].json.id, eventIds[2])
  })

  test('{since}: 202 {queued}, every matching event recorded from then on is sent again', async ({
    client,
    assert,
    cleanup,
  }) => {
    const receiver = await startReceiver()
    cleanup(() => receiver.close())
    const { user, token, id } = await subscribed(client, receiver.url)
    await deliveredOrders(user, receiver, 2)
    await sleep(1100)
    const since = new Date().toISOString()
    const later = await deliveredOrders(user, receiver, 3)

    const response = await client
      .post(await apiPath(`/webhooks/${id}/replay`))
      .bearerToken(token)
      .json({ since })
    response.assertStatus(202)
    assert.deepEqual(response.body(), { queued: 3 })

    const received = await receiver.waitFor(8)
    await sleep(300)
    assert.lengthOf(receiver.received, 8)
    assert.sameMembers(
      received.slice(5).map((request) => request.json.id),
      later
    )
  })

  test('{since} in the future queues nothing', async ({ client, assert, cleanup }) => {
    const receiver = await startReceiver()
    cleanup(() => receiver.close())
    const { user, token, id } = await subscribed(client, receiver.url)
    await deliveredOrders(user, receiver, 1)

    const response = await client
      .post(await apiPath(`/webhooks/${id}/replay`))
      .bearerToken(token)
      .json({ since: new Date(Date.now() + 3_600_000).toISOString() })
    response.assertStatus(202)
    assert.deepEqual(response.body(), { queued: 0 })
    await sleep(300)
    assert.lengthOf(receiver.received, 1)
  })

  test('only events of the environments the subscription fires in are replayed', async ({
    client,
    assert,
    cleanup,
  }) => {
    const receiver = await startReceiver()
    cleanup(() => receiver.close())
    const { user, token, id } = await subscribed(client, receiver.url)
    const eventIds = await deliveredOrders(user, receiver, 2)
    const limited = await client
      .patch(await apiPath(`/webhooks/${id}`))
      .bearerToken(token)
      .json({ environments: ['production'] })
    limited.assertStatus(200)

    const response = await client
      .post(await apiPath(`/webhooks/${id}/replay`))
      .bearerToken(token)
      .json({ event_id: eventIds[0] })
    response.assertStatus(202)
    assert.deepEqual(response.body(), { queued: 0 })
  })

  test('an admin’s subscription replays every owner’s events', async ({
    client,
    assert,
    cleanup,
  }) => {
    const receiver = await startReceiver()
    cleanup(() => receiver.close())
    const admin = await apiUser({ isAdmin: true })
    const created = await client
      .post(await apiPath('/webhooks'))
      .bearerToken(admin.token)
      .json(subscriptionBody(receiver.url))
    const other = await apiUser()
    const eventIds = await deliveredOrders(other.user, receiver, 2)

    const response = await client
      .post(await apiPath(`/webhooks/${created.body().id}/replay`))
      .bearerToken(admin.token)
      .json({ event_id: eventIds[0] })
    response.assertStatus(202)
    assert.deepEqual(response.body(), { queued: 2 })
    await receiver.waitFor(4)
  })

  const refusals: { title: string; body: Record<string, unknown>; field: string }[] = [
    { title: 'neither event_id nor since', body: {}, field: 'event_id' },
    {
      title: 'an unknown event_id',
      body: { event_id: 'evt_01J0000000000000000000000' },
      field: 'event_id',
    },
    { title: 'an event_id of another resource', body: { event_id: 'note' }, field: 'event_id' },
    { title: 'an event_id of another user', body: { event_id: 'stranger' }, field: 'event_id' },
    { title: 'since not a date', body: { since: 'yesterday' }, field: 'since' },
    { title: 'since not a string', body: { since: 12 }, field: 'since' },
  ]

  test('refuses {title} with a 422 naming {field}')
    .with(refusals)
    .run(async ({ client, assert, cleanup }, { body, field }) => {
      const receiver = await startReceiver()
      cleanup(() => receiver.close())
      const { token, id } = await subscribed(client, receiver.url)
      const resolved = { ...body }
      if (body.event_id === 'note') {
        const note = await subscribed(client, receiver.url, {
          resource: 'note',
          events: ['on_delete'],
        })
        await client.post(await apiPath(`/webhooks/${note.id}/ping`)).bearerToken(note.token)
        resolved.event_id = receiver.received[0].json.id
      }
      if (body.event_id === 'stranger') {
        const stranger = await subscribed(client, receiver.url)
        await deliveredOrders(stranger.user, receiver, 1)
        resolved.event_id = receiver.received[0].json.id
      }

      const response = await client
        .post(await apiPath(`/webhooks/${id}/replay`))
        .bearerToken(token)
        .json(resolved)
      response.assertStatus(422)
      assert.include(
        response.body().errors.map((error: { field: string }) => error.field),
        field
      )
    })
})
