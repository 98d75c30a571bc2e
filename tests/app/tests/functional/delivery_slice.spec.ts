import { createHmac } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { Webhook } from 'standardwebhooks'
import { WebhookDelivery, WebhookEvent } from 'adonis-exo'
import Note from '#models/note'
import Order from '#models/order'
import { deliveredOrder, subscribedReceiver } from '#tests/helpers/fixtures'
import { deleteSubscriptions } from '#tests/helpers/api_fixtures'

test.group('Delivery slice | a model change reaches a receiver, signed', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('Order.create sends one POST with the contract body and verifiable signatures', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user, subscription } = await subscribedReceiver(cleanup)
    const secret = subscription.secret

    const order = await Order.create({ userId: user.id, total: 4200, status: 'new' })
    const [request] = await receiver.waitFor(1)
    await sleep(200)
    assert.lengthOf(receiver.received, 1)

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
    const { receiver, user, subscription } = await subscribedReceiver(cleanup)
    const request = await deliveredOrder(user, receiver)

    let attempt: WebhookDelivery | null = null
    for (let tries = 0; tries < 100 && attempt?.status !== 'success'; tries++) {
      attempt = await WebhookDelivery.query().where('subscription_id', subscription.id).first()
      await sleep(50)
    }
    assert.equal(attempt!.status, 'success')
    assert.equal(attempt!.id, request.headers['x-exo-delivery'])
    assert.equal(attempt!.eventId, request.json.id)
    assert.equal(attempt!.attempt, 1)
    assert.equal(attempt!.httpStatus, 200)
    assert.isNull(attempt!.error)
    assert.isAtLeast(attempt!.durationMs!, 0)
    assert.equal(attempt!.responseBody, 'ok')
    assert.equal(attempt!.requestHeaders!['webhook-id'], request.json.id)

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

    let attempts: WebhookDelivery[] = []
    for (let tries = 0; tries < 100 && attempts.length < 2; tries++) {
      attempts = await WebhookDelivery.query()
        .where('subscription_id', subscription.id)
        .orderBy('attempt')
      await sleep(50)
    }
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
    const order = await Order.create({ userId: user.id, total: 10, status: 'new' })

    await order.save()
    order.status = 'new'
    await order.save()
    order.total = 20
    await order.save()

    await receiver.settle(1)
    assert.lengthOf(receiver.received, 1)
    assert.equal(receiver.received[0].json.event, 'on_update')
    assert.equal(receiver.received[0].json.data.total, 20)
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

    await Order.create({ userId: user.id, total: 3, status: 'sentinel' })
    await receiver.settle(1)
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
    const { receiver, user } = await subscribedReceiver(cleanup, {
      subscription: { events: ['on_create', 'on_update'] },
    })

    const ids = await db.transaction(async (trx) => {
      const first = await Order.create({ userId: user.id, total: 1, status: 'a' }, { client: trx })
      const second = await Order.create({ userId: user.id, total: 2, status: 'b' }, { client: trx })
      first.total = 10
      await first.save()
      return [first.id, second.id]
    })

    await receiver.settle(3)
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

    const note = await Note.create({ body: 'hello' })
    note.body = 'changed'
    await note.save()
    await note.delete()

    await receiver.settle(1)
    assert.lengthOf(receiver.received, 1)
    assert.equal(receiver.received[0].json.event, 'on_delete')
    assert.equal(receiver.received[0].json.resource, 'note')
  })
})
