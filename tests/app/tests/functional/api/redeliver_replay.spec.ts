import { test } from '@japa/runner'
import Order from '#models/order'
import type User from '#models/user'
import type { ExoApi } from '#tests/helpers/api'
import {
  apiSubscribedReceiver,
  apiSubscription,
  apiUser,
  attemptsOf,
  completedAttempts,
  createSubscription,
  deleteSubscriptions,
  errorFields,
  fannedOutTo,
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

/**
 * Asks for a replay: the body of the answer, once checked to be a 202.
 */
async function replay(api: ExoApi, id: number, body: Record<string, unknown>) {
  const response = await api.post(`/webhooks/${id}/replay`).json(body)
  response.assertStatus(202)
  return response.body()
}

test.group('API | POST /webhooks/:id/deliveries/:deliveryId/redeliver', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('answers 202 and the receiver gets the same event again, as a new attempt', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { receiver, user, api, id } = await apiSubscribedReceiver({ client, cleanup })
    await deliveredOrders(user, receiver, 1)
    const [first] = await attemptsOf(id, (rows) => rows[0]?.status === 'success')

    const response = await api.post(`/webhooks/${id}/deliveries/${first.id}/redeliver`)
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
    // Both attempts done: nothing else is sent
    assert.lengthOf(receiver.received, 2)
  })

  test('a failed attempt can be redelivered once the receiver is back', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { receiver, api, id } = await apiSubscribedReceiver({ client, cleanup }, { status: 500 })
    await api.post(`/webhooks/${id}/ping`)
    const [failed] = await attemptsOf(id)
    receiver.respondWith(200)

    const response = await api.post(`/webhooks/${id}/deliveries/${failed.id}/redeliver`)
    response.assertStatus(202)
    const [, again] = await receiver.waitFor(2)
    assert.equal(again.json.event, 'ping')
    assert.equal(again.headers['webhook-id'], failed.eventId)
    await attemptsOf(id, (rows) => rows.length === 2 && rows[1].status === 'success')
  })

  test('an inactive subscription is a 422 naming is_active, until it is enabled', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { receiver, user, api, id } = await apiSubscribedReceiver({ client, cleanup })
    const [eventId] = await deliveredOrders(user, receiver, 1)
    const [delivered] = await attemptsOf(id, (rows) => rows[0]?.status === 'success')
    const paused = await api.patch(`/webhooks/${id}`).json({ is_active: false })
    paused.assertStatus(200)

    const redeliver = () => api.post(`/webhooks/${id}/deliveries/${delivered.id}/redeliver`)
    const refusals = [
      await redeliver(),
      await api.post(`/webhooks/${id}/replay`).json({ event_id: eventId }),
    ]
    for (const refused of refusals) {
      refused.assertStatus(422)
      assert.deepEqual(errorFields(refused), ['is_active'])
    }
    assert.lengthOf(await attemptsOf(id), 1, 'nothing was queued')

    const enabled = await api.patch(`/webhooks/${id}`).json({ is_active: true })
    enabled.assertStatus(200)
    const redelivered = await redeliver()
    redelivered.assertStatus(202)
    assert.deepEqual(await replay(api, id, { event_id: eventId }), { queued: 1 })
    await receiver.waitFor(3)
  })

  test('an unknown delivery id is a 404', async ({ client, assert }) => {
    const { api, id } = await apiSubscription(client, 'https://example.com/hook')
    const response = await api.post(
      `/webhooks/${id}/deliveries/dlv_01J0000000000000000000000/redeliver`
    )
    response.assertStatus(404)
    assert.deepEqual(Object.keys(response.body()), ['message'])
  })
})

test.group('API | POST /webhooks/:id/replay', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('{event_id}: 202 {queued}, every matching event from that one on is sent again', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { receiver, user, api, id } = await apiSubscribedReceiver({ client, cleanup })
    const eventIds = await deliveredOrders(user, receiver, 4)

    // Events this subscription never matched: another trigger, another owner's order
    const order = await Order.create({ userId: user.id, total: 1, status: 'new' })
    const fifth = await receiver.waitFor(5)
    eventIds.push(fifth[4].json.id)
    order.total = 2
    await order.save()
    const stranger = await apiUser(client)
    const strangers = await Order.create({ userId: stranger.user.id, total: 1, status: 'new' })
    assert.notInclude(await fannedOutTo(order, 'on_update'), id)
    assert.notInclude(await fannedOutTo(strangers), id)

    assert.deepEqual(await replay(api, id, { event_id: eventIds[1] }), { queued: 4 })

    // The replay wrote its attempts before answering: once they are done, all is sent
    const attempts = await completedAttempts(id, 9)
    assert.lengthOf(attempts, 9)
    const received = receiver.received
    assert.lengthOf(received, 9)
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
    const { receiver, user, api, id } = await apiSubscribedReceiver({ client, cleanup })
    const eventIds = await deliveredOrders(user, receiver, 3)

    assert.deepEqual(await replay(api, id, { event_id: eventIds[2] }), { queued: 1 })
    const received = await receiver.waitFor(4)
    assert.equal(received[3].json.id, eventIds[2])
  })

  test('{since}: 202 {queued}, every matching event recorded from then on is sent again', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { receiver, user, api, id } = await apiSubscribedReceiver({ client, cleanup })
    await deliveredOrders(user, receiver, 2)
    const later = await deliveredOrders(user, receiver, 3)
    // The moment the first of the later events occurred, as its payload says
    const since = receiver.received[2].json.timestamp

    assert.deepEqual(await replay(api, id, { since }), { queued: 3 })

    const attempts = await completedAttempts(id, 8)
    assert.lengthOf(attempts, 8)
    const received = receiver.received
    assert.lengthOf(received, 8)
    assert.sameMembers(
      received.slice(5).map((request) => request.json.id),
      later
    )
  })

  test('{since} in the future queues nothing', async ({ client, assert, cleanup }) => {
    const { receiver, user, api, id } = await apiSubscribedReceiver({ client, cleanup })
    await deliveredOrders(user, receiver, 1)

    const since = new Date(Date.now() + 3_600_000).toISOString()
    assert.deepEqual(await replay(api, id, { since }), { queued: 0 })
    // A replay writes its attempts before it answers: none, so nothing more is sent
    assert.lengthOf(await attemptsOf(id), 1)
    assert.lengthOf(receiver.received, 1)
  })

  test('only events of the environments the subscription fires in are replayed', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { receiver, user, api, id } = await apiSubscribedReceiver({ client, cleanup })
    const eventIds = await deliveredOrders(user, receiver, 2)
    const limited = await api.patch(`/webhooks/${id}`).json({ environments: ['production'] })
    limited.assertStatus(200)

    assert.deepEqual(await replay(api, id, { event_id: eventIds[0] }), { queued: 0 })
  })

  test('an admin’s subscription replays every owner’s events', async ({
    client,
    assert,
    cleanup,
  }) => {
    const receiver = await startReceiver({ cleanup })
    const admin = await apiUser(client, { isAdmin: true })
    const created = await createSubscription(admin.api, receiver.url)
    const other = await apiUser(client)
    const eventIds = await deliveredOrders(other.user, receiver, 2)

    assert.deepEqual(await replay(admin.api, created.id, { event_id: eventIds[0] }), { queued: 2 })
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
      const { receiver, api, id } = await apiSubscribedReceiver({ client, cleanup })
      const resolved = { ...body }
      if (body.event_id === 'note') {
        const note = await apiSubscription(client, receiver.url, {
          resource: 'note',
          events: ['on_delete'],
        })
        await note.api.post(`/webhooks/${note.id}/ping`)
        resolved.event_id = receiver.received[0].json.id
      }
      if (body.event_id === 'stranger') {
        const stranger = await apiSubscription(client, receiver.url)
        await deliveredOrders(stranger.user, receiver, 1)
        resolved.event_id = receiver.received[0].json.id
      }

      const response = await api.post(`/webhooks/${id}/replay`).json(resolved)
      response.assertStatus(422)
      assert.include(errorFields(response), field)
    })
})
