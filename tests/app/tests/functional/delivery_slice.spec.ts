import { createHmac } from 'node:crypto'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { Webhook } from 'standardwebhooks'
import { WebhookEvent, type ExoEvent } from 'adonis-exo'
import Note from '#models/note'
import Order from '#models/order'
import { deliveredOrder, recordedEvents, subscribedReceiver } from '#tests/helpers/fixtures'
import { attemptsOf, completedAttempts, deleteSubscriptions } from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'

test.group('Delivery slice | a model change reaches a receiver, signed', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('Order.create sends one POST with the contract body and verifiable signatures', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user, subscription } = await subscribedReceiver(cleanup)
    const secret = subscription.secret

    const order = await Order.create({ userId: user.id, total: 4200, status: 'new' })
    // One attempt, sent: the fan-out wrote it with any other there would be
    const attempts = await completedAttempts(subscription.id, 1)
    assert.lengthOf(attempts, 1)
    assert.lengthOf(receiver.received, 1)
    const [request] = receiver.received

    assert.equal(request.method, 'POST')
    assert.match(request.json.id, /^evt_[0-9A-Z]{26}$/)
    assert.equal(request.json.event, 'on_create')
    assert.equal(request.json.resource, 'order')
    assert.deepEqual(request.json.data, {
      id: order.id,
      total: 4200,
      status: 'new',
      created_at: order.createdAt.toISO(),
    })
    assert.match(request.json.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    assert.deepEqual(Object.keys(request.json), ['id', 'event', 'resource', 'data', 'timestamp'])

    assert.equal(request.headers['content-type'], 'application/json')
    assert.equal(request.headers['user-agent'], 'Exo-Webhook/1.0')
    assert.equal(request.headers['x-exo-event'], request.json.id)
    assert.equal(request.headers['webhook-id'], request.json.id)
    assert.match(String(request.headers['x-exo-delivery']), /^dlv_/)

    const verified = new Webhook(secret).verify(request.body, request.headers as any)
    assert.deepEqual(verified, request.json)
    const hmac = createHmac('sha256', secret).update(request.body).digest('hex')
    assert.equal(request.headers['x-exo-signature'], `sha256=${hmac}`)
    assert.throws(() =>
      new Webhook(subscription.secret.replace(/.{4}$/, 'AAA=')).verify(
        request.body,
        request.headers as any
      )
    )
  })

  test('the attempt is logged with its status, HTTP status and duration', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user, subscription } = await subscribedReceiver(cleanup, {
      delayMs: 150,
    })
    const request = await deliveredOrder(user, receiver)

    const [attempt] = await completedAttempts(subscription.id, 1)
    assert.equal(attempt.status, 'success')
    assert.equal(attempt.id, request.headers['x-exo-delivery'])
    assert.equal(attempt.eventId, request.json.id)
    assert.equal(attempt.attempt, 1)
    assert.equal(attempt.httpStatus, 200)
    assert.isNull(attempt.error)
    assert.isAtLeast(attempt.durationMs!, 150, 'the receiver took 150 ms to answer')
    assert.isBelow(attempt.durationMs!, 2000, 'within the timeout')
    assert.equal(attempt.responseBody, 'ok')
    assert.equal(attempt.requestHeaders!['webhook-id'], request.json.id)

    await subscription.refresh()
    assert.equal(subscription.failureCount, 0)
    assert.isNotNull(subscription.lastDeliveredAt)
  })

  test('a receiver answering 500 gets a failed attempt logged and the next one scheduled', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user, subscription } = await subscribedReceiver(cleanup, { status: 500 })
    await Order.create({ userId: user.id, total: 1, status: 'new' })
    await receiver.waitFor(1)

    const attempts = await attemptsOf(subscription.id, (rows) => rows.length >= 2)
    assert.deepEqual(
      attempts.map((attempt) => [attempt.attempt, attempt.status, attempt.httpStatus]),
      [
        [1, 'failed', 500],
        [2, 'pending', null],
      ]
    )
    assert.equal(attempts[0].error, 'HTTP 500')
    assert.equal(attempts[1].eventId, attempts[0].eventId)
    await subscription.refresh()
    assert.equal(subscription.failureCount, 1)
  })

  test('on_update fires only when a save changed something', async ({ assert, cleanup }) => {
    const { receiver, user } = await subscribedReceiver(cleanup, {
      subscription: { events: ['on_update'] },
    })
    const seen = recordedEvents(cleanup)
    const order = await Order.create({ userId: user.id, total: 10, status: 'new' })

    await order.save()
    order.status = 'new'
    await order.save()
    order.total = 20
    await order.save()
    // Once this change is recorded, the saves before it are too
    order.status = 'last'
    await order.save()

    const last = (event: ExoEvent) => event.data.id === order.id && event.data.status === 'last'
    await eventually(
      async () => seen,
      (events) => events.some(last)
    )
    const changes = [
      ['on_create', 10, 'new'],
      ['on_update', 20, 'new'],
      ['on_update', 20, 'last'],
    ]
    const summary = (event: { event: string; data: { total: number; status: string } }) => [
      event.event,
      event.data.total,
      event.data.status,
    ]
    assert.deepEqual(seen.filter((event) => event.data.id === order.id).map(summary), changes)
    const received = await receiver.waitFor(2)
    assert.sameDeepMembers(
      received.map(({ json }) => summary(json)),
      changes.slice(1)
    )
  })

  test('a rolled back transaction sends nothing and leaves no event', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user } = await subscribedReceiver(cleanup)
    const before = await WebhookEvent.query().count('* as total')
    const batchesBefore = await db.from('exo_event_batches').count('* as total')

    const trx = await db.transaction()
    await Order.create({ userId: user.id, total: 1, status: 'rolled-back' }, { client: trx })
    await trx.rollback()
    await assert.rejects(() =>
      db.transaction(async (managed) => {
        await Order.create(
          { userId: user.id, total: 2, status: 'rolled-back' },
          { client: managed }
        )
        throw new Error('abort')
      })
    )

    // Saved after the rolled back ones, the only one delivered
    await Order.create({ userId: user.id, total: 3, status: 'sentinel' })
    await receiver.waitFor(1)
    assert.deepEqual(
      receiver.received.map((request) => request.json.data.status),
      ['sentinel']
    )
    const after = await WebhookEvent.query().count('* as total')
    assert.equal(Number(after[0].$extras.total), Number(before[0].$extras.total) + 1)
    const batchesAfter = await db.from('exo_event_batches').count('* as total')
    assert.equal(Number(batchesAfter[0].total), Number(batchesBefore[0].total), 'no outbox batch')
  })

  test('a committed transaction records its events in it and sends each once', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user, subscription } = await subscribedReceiver(cleanup, {
      subscription: { events: ['on_create', 'on_update'] },
    })

    const ids = await db.transaction(async (trx) => {
      const first = await Order.create({ userId: user.id, total: 1, status: 'a' }, { client: trx })
      const second = await Order.create({ userId: user.id, total: 2, status: 'b' }, { client: trx })
      first.total = 10
      await first.save()
      return [first.id, second.id]
    })

    // The batch's fan-out wrote the attempts of its three events at once, and once
    const attempts = await completedAttempts(subscription.id, 3)
    assert.lengthOf(attempts, 3)
    assert.lengthOf(receiver.received, 3)
    const sent = receiver.received.map(
      ({ json }) => `${json.event}:${json.data.id}:${json.data.total}`
    )
    // Each payload as it was at its save, not at the commit
    assert.sameMembers(sent, [
      `on_create:${ids[0]}:1`,
      `on_create:${ids[1]}:2`,
      `on_update:${ids[0]}:10`,
    ])
    const eventIds = receiver.received.map((request) => request.json.id)
    assert.lengthOf(new Set(eventIds), 3)
    assert.lengthOf(await WebhookEvent.query().whereIn('id', eventIds), 3)
    const batches = await db.from('exo_event_batches').whereIn('id', eventIds)
    assert.lengthOf(batches, 0, 'the fan-out moved the events out of their batch')
  })

  test('a model sends only the triggers it declares', async ({ assert, cleanup }) => {
    const { receiver } = await subscribedReceiver(cleanup, {
      user: { isAdmin: true },
      subscription: { resource: 'note', events: ['on_delete'] },
    })
    const seen = recordedEvents(cleanup)

    const note = await Note.create({ body: 'hello' })
    note.body = 'changed'
    await note.save()
    await note.delete()

    // Recorded in the order of the saves: by the delete's, the others would be in
    const ofNote = () =>
      seen.filter((event) => event.resource === 'note' && event.data.id === note.id)
    await eventually(
      async () => ofNote(),
      (events) => events.some(({ event }) => event === 'on_delete')
    )
    assert.deepEqual(
      ofNote().map(({ event }) => event),
      ['on_delete'],
      'notes declare on_delete alone'
    )
    const [request] = await receiver.waitFor(1)
    assert.equal(request.json.event, 'on_delete')
    assert.equal(request.json.resource, 'note')
  })
})
