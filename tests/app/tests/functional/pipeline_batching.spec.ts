import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from '@japa/runner'
import emitter from '@adonisjs/core/services/emitter'
import db from '@adonisjs/lucid/services/db'
import { QueueEvents } from 'bullmq'
import exo from 'adonis-exo/services/main'
import { WebhookDelivery, WebhookEvent, type ExoEvent } from 'adonis-exo'
import env from '#start/env'
import Order from '#models/order'
import { createUser, subscribe, subscribedReceiver } from '#tests/helpers/fixtures'
import { startReceiver } from '#tests/helpers/receiver'
import { completedAttempts, deleteSubscriptions } from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'
import { refuseInserts } from '#tests/helpers/refused_inserts'
import { queueConnection, redisQueue } from '#tests/helpers/worker'

/**
 * The ids of the jobs the Exo queue's workers complete while the test runs.
 */
async function completedJobs(cleanup: (close: () => Promise<void>) => void) {
  const events = new QueueEvents(redisQueue(env.get('EXO_QUEUE', 'exo-webhooks')), {
    connection: queueConnection(),
  })
  await events.waitUntilReady()
  const completed: string[] = []
  events.on('completed', ({ jobId }) => completed.push(jobId))
  cleanup(() => events.close())
  return completed
}

/**
 * A receiver that holds each request a little before answering 200, and
 * counts how many it holds at most at once.
 */
async function slowReceiver(cleanup: (close: () => Promise<void>) => void) {
  let open = 0
  const state = { mostAtOnce: 0, received: [] as string[] }
  const server = createServer((request, response) => {
    open++
    state.mostAtOnce = Math.max(state.mostAtOnce, open)
    request.resume()
    request.on('end', () => {
      state.received.push(String(request.headers['x-exo-delivery']))
      setTimeout(() => {
        open--
        response.end('ok')
      }, 20)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, state }
}

/**
 * `count` copies of one subscription of `user` to `url`, written in bulk.
 */
async function manySubscriptions(userId: number, url: string, count: number) {
  const user = { id: userId } as Parameters<typeof subscribe>[0]
  const first = await subscribe(user, url)
  const { id, ...row } = await db.from('exo_subscriptions').where('id', first.id).firstOrFail()
  const copies = Array.from({ length: count - 1 }, () => ({ ...row }))
  for (let from = 0; from < copies.length; from += 200) {
    await db.table('exo_subscriptions').multiInsert(copies.slice(from, from + 200))
  }
  await exo.subscriptionsChanged()
}

test.group('Pipeline | work done together, nothing lost or mixed up', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('saves made together share fan-out jobs, and each event arrives once', async ({
    assert,
    cleanup,
  }) => {
    const completed = await completedJobs(cleanup)
    const receiver = await startReceiver({ cleanup })
    const user = await createUser()
    const subscription = await subscribe(user, receiver.url)

    const orders = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        Order.create({ userId: user.id, total: index, status: 'together' })
      )
    )
    // Each event fanned out once: these attempts are all there will be, and sent
    const attempts = await completedAttempts(subscription.id, 40)
    assert.lengthOf(attempts, 40)
    assert.sameMembers(
      receiver.received.map((request) => request.json.data.id),
      orders.map((order) => order.id)
    )
    const fanOutJobs = await eventually(
      async () => completed.filter((id) => id.startsWith('evt_')),
      (ids) => ids.length > 0
    )
    assert.isBelow(fanOutJobs.length, 40, 'events recorded together travel in shared jobs')
  })

  test('one event to more subscriptions than one statement or one job holds', async ({
    assert,
    cleanup,
  }) => {
    const receiver = await slowReceiver(cleanup)
    const admin = await createUser({ isAdmin: true })
    await manySubscriptions(admin.id, receiver.url, 1_100)

    await Order.create({ userId: admin.id, total: 1, status: 'fan-out' })
    await eventually(
      async () => receiver.state.received.length,
      (count) => count >= 1_100,
      { timeout: 60_000 }
    )
    const attempts = await eventually(
      () => WebhookDelivery.query().where('status', 'success'),
      (rows) => rows.length >= 1_100,
      { timeout: 30_000 }
    )
    assert.lengthOf(new Set(attempts.map((attempt) => attempt.subscriptionId)), 1_100)
    assert.lengthOf(new Set(receiver.state.received), 1_100, 'each attempt sent once')
    assert.isAtMost(
      receiver.state.mostAtOnce,
      50,
      'a worker keeps at most 50 requests open to one receiver'
    )
  }).timeout(120_000)

  test('attempts completed together keep their own status, headers and body', async ({
    assert,
    cleanup,
  }) => {
    const receivers = await Promise.all(
      [200, 201, 202].map((status) =>
        startReceiver({
          status,
          headers: { 'x-said': `said ${status}` },
          body: `body ${status}`,
          cleanup,
        })
      )
    )
    const user = await createUser()
    const subscriptions = await Promise.all(
      receivers.map((receiver) => subscribe(user, receiver.url))
    )

    await Order.create({ userId: user.id, total: 1, status: 'new' })
    for (const [index, subscription] of subscriptions.entries()) {
      const status = [200, 201, 202][index]
      const [attempt] = await eventually(
        () => WebhookDelivery.query().where('subscription_id', subscription.id),
        (rows) => rows[0]?.status === 'success'
      )
      assert.equal(attempt.httpStatus, status)
      assert.equal(attempt.responseBody, `body ${status}`)
      assert.equal(attempt.responseHeaders!['x-said'], `said ${status}`)
      assert.equal(attempt.requestHeaders!['X-Exo-Delivery'], attempt.id)
    }
  })

  test('an event the outbox cannot take goes whole to Redis, and the worker writes it', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user } = await subscribedReceiver(cleanup)
    const allowInserts = await refuseInserts('exo_events', cleanup)
    const recorded = new Promise<ExoEvent>((resolve) => emitter.once('exo:event:recorded', resolve))

    const order = await Order.create({ userId: user.id, total: 1, status: 'outbox away' })
    // Durable in its fan-out job alone: the outbox, and the worker, are refused the row
    const event = await recorded
    assert.isNull(await WebhookEvent.find(event.id), 'the outbox refused it')
    await allowInserts()

    const [request] = await receiver.waitFor(1, 20_000)
    assert.equal(request.json.data.id, order.id)
    const written = await WebhookEvent.findOrFail(event.id)
    assert.isNotNull(written.dispatchedAt, 'in the outbox, written by the fan-out')
  }).timeout(30_000)

  test('an event neither the outbox nor Redis takes is recorded once one of them is back', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user } = await subscribedReceiver(cleanup)
    const { insert } = exo.outbox
    const { enqueueFanOut } = exo.queue
    cleanup(() => {
      exo.outbox.insert = insert
      exo.queue.enqueueFanOut = enqueueFanOut
    })
    let refusals = 0
    exo.outbox.insert = async () => {
      refusals++
      throw new Error('the database is away')
    }
    exo.queue.enqueueFanOut = async () => {
      throw new Error('Redis is away')
    }

    const order = await Order.create({ userId: user.id, total: 1, status: 'both away' })
    await eventually(
      async () => refusals,
      (count) => count >= 1
    )
    exo.outbox.insert = insert
    exo.queue.enqueueFanOut = enqueueFanOut

    const [request] = await receiver.waitFor(1, 20_000)
    assert.equal(request.json.data.id, order.id)
  }).timeout(30_000)
})
