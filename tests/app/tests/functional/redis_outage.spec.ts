import { test } from '@japa/runner'
import type { Assert } from '@japa/assert'
import db from '@adonisjs/lucid/services/db'
import exo from 'adonis-exo/services/main'
import { WebhookEvent } from 'adonis-exo'
import Order from '#models/order'
import { subscribedReceiver } from '#tests/helpers/fixtures'
import { PrivateRedis, restartRedis, sweepOnceRedisAnswers } from '#tests/helpers/redis_server'
import { runningWorker, startWorker } from '#tests/helpers/worker'
import { completedAttempts, deleteSubscriptions } from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'

type Cleanup = Parameters<typeof subscribedReceiver>[0]
type Subscribed = Awaited<ReturnType<typeof subscribedReceiver>>

/**
 * A receiver subscribed to orders, with Redis stopped until `deliveredOnceBack`.
 */
async function receiverWithRedisStopped(cleanup: Cleanup) {
  const redis = PrivateRedis.current!
  const subscribed = await subscribedReceiver(cleanup)
  await redis.stop()
  cleanup(() => redis.start().catch(() => {}))
  return subscribed
}

/**
 * Starts Redis again, sweeps, and checks that each order's event arrived once.
 */
async function deliveredOnceBack(
  assert: Assert,
  { receiver, subscription }: Subscribed,
  orders: Order[]
) {
  await PrivateRedis.current!.start()
  const swept = await sweepOnceRedisAnswers()
  await receiver.waitFor(orders.length, 30_000)
  // Fanned out once each: these attempts are all there will be, and sent
  const attempts = await completedAttempts(subscription.id, orders.length)
  assert.lengthOf(attempts, orders.length, 'each event fanned out once')
  assert.sameMembers(
    receiver.received.map((request) => request.json.data.id),
    orders.map((order) => order.id),
    'each event arrives once'
  )
  return swept
}

test.group('Redis outage | nothing recorded while Redis is down is lost', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('events saved while Redis is stopped are delivered once it is back', async ({
    assert,
    cleanup,
  }) => {
    const subscribed = await receiverWithRedisStopped(cleanup)
    const orders = []
    for (let index = 0; index < 5; index++) {
      const order = { userId: subscribed.user.id, total: index, status: 'during outage' }
      orders.push(await Order.create(order))
    }
    // The events wait in the outbox
    await eventually(
      () =>
        WebhookEvent.query()
          .whereNull('dispatched_at')
          .where('owner_id', String(subscribed.user.id)),
      (events) => events.length === 5
    )

    await deliveredOnceBack(assert, subscribed, orders)
  })

  test('a transaction committed while Redis is stopped waits in its outbox batch, then arrives once', async ({
    assert,
    cleanup,
  }) => {
    const subscribed = await receiverWithRedisStopped(cleanup)
    const { user } = subscribed
    const orders = await db.transaction(async (trx) => {
      const created = []
      for (let index = 0; index < 3; index++) {
        const order = { userId: user.id, total: index, status: 'committed during outage' }
        created.push(await Order.create(order, { client: trx }))
      }
      return created
    })
    const rows = await db.from('exo_event_batches')
    const batches = rows.map((row) => ({
      id: row.id,
      orderIds: JSON.parse(row.events).map((event: { data: string }) => JSON.parse(event.data).id),
    }))
    const [batch] = batches.filter(({ orderIds }) => orderIds.includes(orders[0].id))
    assert.sameMembers(
      batch.orderIds,
      orders.map((order) => order.id),
      'in one outbox row'
    )

    const swept = await deliveredOnceBack(assert, subscribed, orders)
    assert.isAtLeast(swept.events, 3)
    assert.lengthOf(await db.from('exo_event_batches').where('id', batch.id), 0)
  })

  test('a Redis that loses its data loses no event: the outbox has them all', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user, subscription } = await subscribedReceiver(cleanup)
    // With no worker running, the events wait as jobs in Redis as well as in the outbox
    await runningWorker.current!.stop()
    let restarted = false
    cleanup(async () => {
      if (!restarted) await startWorker()
    })
    const orders = []
    for (let index = 0; index < 5; index++) {
      orders.push(await Order.create({ userId: user.id, total: index, status: 'before the wipe' }))
    }
    await db.transaction(async (trx) => {
      for (let index = 0; index < 2; index++) {
        const order = { userId: user.id, total: index, status: 'committed before the wipe' }
        orders.push(await Order.create(order, { client: trx }))
      }
    })
    await eventually(
      () => WebhookEvent.query().whereNull('dispatched_at').where('resource', 'order'),
      (events) => events.length >= 5
    )

    // Killed without persistence: every job is gone
    await PrivateRedis.current!.stop()
    await restartRedis()
    await startWorker()
    restarted = true
    // What the workers' sweeper does once the events are 30 s old
    await exo.sweeper.sweep(Date.now() + 60_000)

    const attempts = await completedAttempts(subscription.id, 7)
    assert.lengthOf(attempts, 7, 'each event fanned out once')
    assert.sameMembers(
      receiver.received.map((request) => request.json.data.id),
      orders.map((order) => order.id)
    )
  })
})
