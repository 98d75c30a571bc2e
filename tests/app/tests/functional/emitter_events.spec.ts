import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import emitter from '@adonisjs/core/services/emitter'
import exo from 'adonis-exo/services/main'
import type { ExoEventsList } from 'adonis-exo'
import Order from '#models/order'
import { createUser, recordedEvents, subscribe } from '#tests/helpers/fixtures'
import { receiverForEachTest } from '#tests/helpers/receiver'
import { attemptsOf } from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'
import { workerEvents, type WorkerEvent } from '#tests/helpers/worker'

/**
 * What the worker's listeners (tests/app/start/events.ts) wrote for one
 * subscription, once `count` lines of it are there.
 */
async function emittedFor(subscriptionId: number, count: number): Promise<WorkerEvent[]> {
  return eventually(
    async () => {
      const entries = await workerEvents()
      return entries.filter(
        (entry) =>
          'subscriptionId' in entry.payload &&
          entry.payload.subscriptionId === Number(subscriptionId)
      )
    },
    (entries) => entries.length >= count
  )
}

test.group('Emitter events | the host app hears about events and attempts', (group) => {
  const receiver = receiverForEachTest(group)

  test('exo:event:recorded carries the event once it is recorded, with the id receivers get', async ({
    assert,
    cleanup,
  }) => {
    const seen = recordedEvents(cleanup)
    const user = await createUser()
    await subscribe(user, receiver().url)

    const order = await Order.create({ userId: user.id, total: 7, status: 'new' })
    // Outside a transaction the event is written behind the save
    await eventually(
      async () => seen.length,
      (count) => count === 1
    )
    const stored = await db.from('exo_events').where('id', seen[0].id)
    assert.lengthOf(stored, 1, 'durable in the outbox when emitted')
    assert.equal(seen[0].resource, 'order')
    assert.equal(seen[0].event, 'on_create')
    assert.deepEqual(seen[0].data, {
      id: order.id,
      total: 7,
      status: 'new',
      created_at: order.createdAt.toISO(),
    })
    assert.equal(seen[0].ownerId, String(user.id))

    const [request] = await receiver().waitFor(1)
    assert.equal(request.json.id, seen[0].id)
    assert.equal(request.json.timestamp, seen[0].timestamp)
  })

  test('inside a transaction it is emitted after the commit, and never for a rollback', async ({
    assert,
    cleanup,
  }) => {
    const seen = recordedEvents(cleanup)
    const user = await createUser()

    await db.transaction(async (trx) => {
      await Order.create({ userId: user.id, total: 1, status: 'a' }, { client: trx })
      await Order.create({ userId: user.id, total: 2, status: 'b' }, { client: trx })
      assert.lengthOf(seen, 0, 'nothing before the commit')
    })
    assert.deepEqual(
      seen.map((event) => event.data.status),
      ['a', 'b']
    )
    const ids = seen.map((event) => event.id)
    // In the transaction's outbox batch, or in exo_events once a worker fanned them out
    const batched = await exo.outbox.batches.events([ids[0]], db.connection())
    const fannedOut = await exo.outbox.findMany(ids)
    assert.sameMembers(
      [...batched, ...fannedOut].map((event) => event.id),
      ids,
      'durable in the outbox when emitted'
    )

    const trx = await db.transaction()
    await Order.create({ userId: user.id, total: 3, status: 'rolled back' }, { client: trx })
    await trx.rollback()
    assert.lengthOf(seen, 2)
  })

  test('a failing listener is logged and neither fails the save nor stops the delivery', async ({
    assert,
    cleanup,
  }) => {
    cleanup(
      emitter.on('exo:event:recorded', () => {
        throw new Error('listener bug')
      })
    )
    const user = await createUser()
    await subscribe(user, receiver().url)
    const order = await Order.create({ userId: user.id, total: 1, status: 'new' })
    const [request] = await receiver().waitFor(1)
    assert.equal(request.json.data.id, order.id)
  })

  test('exo:delivery:succeeded is emitted in the worker for a 2xx', async ({ assert }) => {
    const user = await createUser()
    const subscription = await subscribe(user, receiver().url)
    await Order.create({ userId: user.id, total: 1, status: 'new' })

    const [entry] = await emittedFor(subscription.id, 1)
    const [attempt] = await attemptsOf(subscription.id, (rows) => rows[0]?.status === 'success')
    assert.equal(entry.name, 'exo:delivery:succeeded')
    assert.notEqual(entry.pid, process.pid, 'emitted by the worker process')
    assert.deepEqual(entry.payload, {
      deliveryId: attempt.id,
      // A number, whatever the driver returns for a bigint key
      subscriptionId: Number(subscription.id),
      eventId: attempt.eventId,
      event: 'on_create',
      resource: 'order',
      attempt: 1,
      httpStatus: 200,
      durationMs: attempt.durationMs!,
    })
  })

  test('exo:delivery:failed says what failed and when the retry is due', async ({ assert }) => {
    receiver().respondWith(500)
    const user = await createUser()
    const subscription = await subscribe(user, receiver().url)
    await Order.create({ userId: user.id, total: 1, status: 'new' })

    const [entry] = await emittedFor(subscription.id, 1)
    const [first, retry] = await attemptsOf(subscription.id, (rows) => rows.length === 2)
    assert.equal(entry.name, 'exo:delivery:failed')
    assert.notEqual(entry.pid, process.pid)
    const { nextAttemptAt, ...failure } = entry.payload as ExoEventsList['exo:delivery:failed']
    assert.deepEqual(failure, {
      deliveryId: first.id,
      subscriptionId: Number(subscription.id),
      eventId: first.eventId,
      event: 'on_create',
      resource: 'order',
      attempt: 1,
      httpStatus: 500,
      durationMs: first.durationMs!,
      error: 'HTTP 500',
      retryScheduled: true,
      subscriptionDisabled: false,
    })
    const due = new Date(nextAttemptAt as unknown as string).getTime()
    assert.approximately(due, retry.scheduledAt.toMillis(), 1000)
    assert.isAbove(due, first.createdAt.toMillis() + 25_000, 'the 30s step of the schedule')
  })

  test('exo:subscription:disabled follows the failure that disabled it', async ({ assert }) => {
    receiver().respondWith(410)
    const user = await createUser()
    const subscription = await subscribe(user, receiver().url)
    await Order.create({ userId: user.id, total: 1, status: 'new' })

    const entries = await emittedFor(subscription.id, 2)
    assert.deepEqual(
      entries.map((entry) => entry.name),
      ['exo:delivery:failed', 'exo:subscription:disabled']
    )
    const failed = entries[0].payload as ExoEventsList['exo:delivery:failed']
    assert.equal(failed.httpStatus, 410)
    assert.isFalse(failed.retryScheduled)
    assert.isNull(failed.nextAttemptAt)
    assert.isTrue(failed.subscriptionDisabled)
    assert.deepEqual(entries[1].payload, {
      subscriptionId: Number(subscription.id),
      reason: 'The receiver answered 410 Gone',
    })
    await subscription.refresh()
    assert.equal(subscription.disabledReason, 'The receiver answered 410 Gone')
  })

  test('a ping is an attempt too: its outcome is emitted where it is sent', async ({
    assert,
    cleanup,
  }) => {
    const seen: ExoEventsList['exo:delivery:succeeded'][] = []
    cleanup(emitter.on('exo:delivery:succeeded', (attempt) => seen.push(attempt)))
    const user = await createUser()
    const subscription = await subscribe(user, receiver().url)

    await exo.subscriptions.ping(subscription)
    assert.lengthOf(seen, 1)
    assert.equal(seen[0].event, 'ping')
    assert.equal(seen[0].subscriptionId, subscription.id)
    assert.equal(seen[0].httpStatus, 200)
  })
})
