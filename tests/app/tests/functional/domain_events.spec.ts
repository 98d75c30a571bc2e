import { test } from '@japa/runner'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import db from '@adonisjs/lucid/services/db'
import { Webhook } from 'standardwebhooks'
import { Webhookable, WebhookDelivery, WebhookEvent } from 'adonis-exo'
import exo from 'adonis-exo/services/main'
import Note from '#models/note'
import Order from '#models/order'
import { createUser } from '#tests/helpers/fixtures'
import { eventually } from '#tests/helpers/eventually'
import {
  apiSubscribedReceiver,
  completedAttempts,
  deleteSubscriptions,
} from '#tests/helpers/api_fixtures'

/** A Webhookable model that config/exo.ts does not register */
class Stray extends compose(BaseModel, Webhookable) {
  static resource = 'stray'
  static table = 'orders'
  static webhookEvents = { shipped: { description: 'Never registered' } }

  @column({ isPrimary: true })
  declare id: number
}

/** The stored `order.shipped` events, with their data parsed */
async function shippedEvents() {
  const events = await WebhookEvent.query().where('resource', 'order').where('event', 'shipped')
  return events.map((event) => ({ event, data: JSON.parse(event.data) }))
}

test.group('Domain events | exo.emit records through the outbox like a save', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('a subscription to ["shipped"] with a filter receives exactly the committed, matching emits, signed', async ({
    assert,
    client,
    cleanup,
  }) => {
    const { receiver, user, secret, id } = await apiSubscribedReceiver(
      { client, cleanup },
      { body: { events: ['shipped'], filter: { 'data.total': { $gte: 100 } } } }
    )
    const order = await Order.create({ userId: user.id, total: 100, status: 'new' })

    await db.transaction(async (trx) => {
      order.useTransaction(trx)
      await exo.emit(order, 'shipped', { id: order.id, total: 100, carrier: 'UPS' })
    })

    const rolledBack = await Order.create({ userId: user.id, total: 200, status: 'new' })
    const trx = await db.transaction()
    await exo.emit(rolledBack, 'shipped', { id: rolledBack.id, total: 200 }, { client: trx })
    await trx.rollback()

    // Committed, but below the filter's total
    const small = await Order.create({ userId: user.id, total: 50, status: 'new' })
    await exo.emit(small, 'shipped', { id: small.id, total: 50 })

    // Outside a transaction: in the outbox once emit resolves
    await exo.emit(order, 'shipped')
    const stored = await shippedEvents()
    assert.isTrue(stored.some(({ data }) => data.id === order.id && data.status))
    assert.notInclude(
      stored.map(({ data }) => data.id),
      rolledBack.id
    )

    const attempts = await completedAttempts(id, 2)
    const received = await receiver.waitFor(2)

    // The filtered-out event was fanned out, and made no attempt
    const filteredOut = stored.find(({ data }) => data.id === small.id)!.event
    await eventually(
      () => WebhookEvent.findOrFail(filteredOut.id),
      (event) => event.dispatchedAt !== null,
      { what: 'The fan-out of the filtered-out event' }
    )
    assert.lengthOf(await WebhookDelivery.query().where('eventId', filteredOut.id), 0)
    assert.lengthOf(attempts, 2)
    assert.lengthOf(receiver.received, 2)

    const bodies = received.map((request) => {
      const verified = new Webhook(secret).verify(request.body, request.headers as any) as any
      assert.deepEqual(Object.keys(verified), ['id', 'event', 'resource', 'data', 'timestamp'])
      assert.equal(verified.event, 'shipped')
      assert.equal(verified.resource, 'order')
      return verified.data
    })
    assert.sameDeepMembers(bodies, [
      { id: order.id, total: 100, carrier: 'UPS' },
      { id: order.id, total: 100, status: 'new', created_at: order.createdAt.toISO() },
    ])
  })

  test('an undeclared name, or a model that is not registered, is refused', async ({ assert }) => {
    const user = await createUser()
    const order = await Order.create({ userId: user.id, total: 1, status: 'new' })

    await assert.rejects(
      () => exo.emit(order, 'lost'),
      /Cannot emit "lost": the order resource declares no such event in webhookEvents \(declared: shipped, refunded\)/
    )
    await assert.rejects(() => exo.emit(order, 'on_create'), /declares no such event/)
    const error = await exo.emit(new Stray(), 'shipped').catch((caught) => caught)
    assert.equal(error.code, 'E_EXO_UNKNOWN_EVENT')
    assert.match(error.message, /Stray is not a resource registered in config\/exo.ts/)
  })

  test('in tests, data that does not match its schema fails, naming the path', async ({
    assert,
  }) => {
    const user = await createUser()
    const order = await Order.create({ userId: user.id, total: 1, status: 'new' })

    const error = await exo
      .emit(order, 'shipped', { id: order.id, total: 'a lot' })
      .catch((caught) => caught)
    assert.equal(error.code, 'E_EXO_PAYLOAD_MISMATCH')
    assert.equal(
      error.message,
      'The data of "order.shipped" does not match its schema: data.total: must be integer'
    )
    // A domain event without a schema takes any data
    await exo.emit(order, 'refunded', ['anything'])

    // The triggers' data is checked against webhookSchema
    const note = await Note.create({ body: 'x' })
    note.body = null as any
    await assert.rejects(() => note.delete(), /data\.body: must be string/)
  })
})

test.group('Domain events | exo.fake() keeps emits', (group) => {
  group.each.teardown(() => exo.restore())

  test('emits are kept, those of a rolled-back transaction are not', async ({ assert }) => {
    const user = await createUser()
    // Created under the fake, so that no recording of it outlives this test
    const events = exo.fake()
    const order = await Order.create({ userId: user.id, total: 5, status: 'new' })

    await exo.emit(order, 'shipped', { id: order.id, total: 5, carrier: 'DHL' })
    const trx = await db.transaction()
    await exo.emit(order, 'refunded', undefined, { client: trx })
    await trx.rollback()

    events.assertDispatched(Order, 'shipped', (event) => event.data.carrier === 'DHL')
    events.assertNotDispatched('order', 'refunded')
    events.assertDispatchedCount(Order, 'shipped', 1)
    assert.deepEqual(
      events.dispatched('order').map(({ event }) => event),
      ['on_create', 'shipped']
    )
    assert.throws(() => events.assertDispatched(Order, 'refunded'), /"order" "refunded"/)
  })
})
