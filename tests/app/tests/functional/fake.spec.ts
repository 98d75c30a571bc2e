import { AssertionError } from 'node:assert'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import exo from 'adonis-exo/services/main'
import { WebhookEvent } from 'adonis-exo'
import Note from '#models/note'
import Order from '#models/order'
import { createUser, subscribe } from '#tests/helpers/fixtures'
import { receiverForEachTest } from '#tests/helpers/receiver'
import { eventually } from '#tests/helpers/eventually'

function assertionMessage(run: () => void) {
  try {
    run()
  } catch (error) {
    if (error instanceof AssertionError) return error.message
    throw error
  }
  throw new Error('The assertion passed')
}

test.group('exo.fake() | events are kept for assertions instead of being sent', (group) => {
  const receiver = receiverForEachTest(group)
  group.each.teardown(() => exo.restore())

  test('create, update and delete are captured with their data, and nothing is sent', async ({
    assert,
  }) => {
    const user = await createUser()
    await subscribe(user, receiver().url, { events: ['on_create', 'on_update', 'on_delete'] })
    const events = exo.fake()

    const order = await Order.create({ userId: user.id, total: 10, status: 'new' })
    order.total = 20
    await order.save()
    await order.save()
    await order.delete()

    events.assertDispatched(Order, 'on_create', (event) => event.data.total === 10)
    events.assertDispatched('order', 'on_update', (event) => event.data.total === 20)
    events.assertDispatched('order', 'on_delete', (event) => event.data.id === order.id)
    events.assertNotDispatched(Order, 'on_update', (event) => event.data.total === 10)
    events.assertDispatchedCount(3)
    events.assertDispatchedCount(Order, 'on_update', 1)

    const [created] = events.dispatched(Order, 'on_create')
    assert.match(created.id, /^evt_[0-9A-Z]{26}$/)
    assert.equal(created.resource, 'order')
    assert.equal(created.event, 'on_create')
    assert.deepEqual(created.data, {
      id: order.id,
      total: 10,
      status: 'new',
      created_at: order.createdAt.toISO(),
    })
    assert.equal(created.ownerId, String(user.id))
    assert.equal(created.environment, 'test')
    assert.match(created.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    assert.deepEqual(
      events.dispatched().map((event) => event.event),
      ['on_create', 'on_update', 'on_delete']
    )

    const ids = events.dispatched().map((event) => event.id)
    assert.lengthOf(await WebhookEvent.query().whereIn('id', ids), 0, 'no outbox row')

    exo.restore()
    // The faked events have no outbox row and no job: nothing can send them later
    await Order.create({ userId: user.id, total: 1, status: 'sentinel' })
    await receiver().waitFor(1)
    assert.deepEqual(
      receiver().received.map((request) => request.json.data.status),
      ['sentinel'],
      'only the event saved after restore() is sent'
    )
  })

  test('a model fires only the triggers it declares, and saves that change nothing fire nothing', async ({
    assert,
  }) => {
    const events = exo.fake()
    const note = await Note.create({ body: 'hello' })
    note.body = 'changed'
    await note.save()
    events.assertNothingDispatched()

    await note.delete()
    events.assertDispatched(Note, 'on_delete')
    events.assertDispatchedCount(1)
    assert.lengthOf(events.dispatched(Order), 0)
  })

  test('inside a transaction an event counts once committed; a rollback dispatches nothing', async ({
    assert,
  }) => {
    const user = await createUser()
    const events = exo.fake()

    await db.transaction(async (trx) => {
      const order = await Order.create({ userId: user.id, total: 1, status: 'a' }, { client: trx })
      order.total = 2
      await order.save()
      events.assertNothingDispatched()
    })
    assert.deepEqual(
      events.dispatched(Order).map((event) => [event.event, event.data.total]),
      [
        ['on_create', 1],
        ['on_update', 2],
      ],
      'each event keeps the data of its moment'
    )

    events.clear()
    const trx = await db.transaction()
    await Order.create({ userId: user.id, total: 3, status: 'rolled back' }, { client: trx })
    await trx.rollback()
    await assert.rejects(() =>
      db.transaction(async (managed) => {
        await Order.create({ userId: user.id, total: 4, status: 'thrown' }, { client: managed })
        throw new Error('abort')
      })
    )
    events.assertNothingDispatched()
  })

  test('failed assertions throw AssertionErrors that say what was dispatched', async ({
    assert,
  }) => {
    const user = await createUser()
    const events = exo.fake()
    const order = await Order.create({ userId: user.id, total: 5, status: 'new' })
    const [{ id }] = events.dispatched()

    assert.equal(
      assertionMessage(() => events.assertDispatched(Order, 'on_delete')),
      `Expected event "order" "on_delete" to be dispatched; dispatched: order on_create (${id})`
    )
    assert.equal(
      assertionMessage(() =>
        events.assertDispatched(Order, 'on_create', (event) => event.data.total === 6)
      ),
      `Expected event "order" "on_create" matching the predicate to be dispatched; those dispatched: order on_create (${id})`
    )
    assert.equal(
      assertionMessage(() => events.assertNotDispatched('order', 'on_create')),
      `Expected event "order" "on_create" not to be dispatched; dispatched: order on_create (${id})`
    )
    assert.equal(
      assertionMessage(() => events.assertDispatchedCount(2)),
      `Expected 2 events to be dispatched, instead 1 event was: order on_create (${id})`
    )
    assert.equal(
      assertionMessage(() => events.assertDispatchedCount(Order, 'on_update', 1)),
      'Expected 1 "order" "on_update" event to be dispatched, instead 0 events were: none'
    )
    assert.equal(
      assertionMessage(() => events.assertNothingDispatched()),
      `Expected no events to be dispatched, instead 1 event was: order on_create (${id})`
    )
    assert.equal(order.total, 5)
  })

  test('each fake() starts empty and restore() records for real again', async ({ assert }) => {
    const user = await createUser()
    exo.fake()
    await Order.create({ userId: user.id, total: 1, status: 'first fake' })
    const second = exo.fake()
    second.assertNothingDispatched()

    exo.restore()
    const before = await WebhookEvent.query().count('* as total')
    await db.transaction((trx) =>
      Order.create({ userId: user.id, total: 2, status: 'real' }, { client: trx })
    )
    // Written to its outbox batch at the commit, then to exo_events by the fan-out
    const after = await eventually(
      () => WebhookEvent.query().count('* as total'),
      (count) => Number(count[0].$extras.total) > Number(before[0].$extras.total)
    )
    assert.equal(Number(after[0].$extras.total), Number(before[0].$extras.total) + 1)
    second.assertNothingDispatched()
  })
})
