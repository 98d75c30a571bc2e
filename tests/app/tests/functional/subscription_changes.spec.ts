import { setTimeout as sleep } from 'node:timers/promises'
import { test } from '@japa/runner'
import type { TestContext } from '@japa/runner/core'
import db from '@adonisjs/lucid/services/db'
import exo from 'adonis-exo/services/main'
import { WebhookSubscription } from 'adonis-exo'
import Order from '#models/order'
import type User from '#models/user'
import { createUser, deliveredOrder, subscribe } from '#tests/helpers/fixtures'
import { startReceiver, type Receiver } from '#tests/helpers/receiver'
import { deleteSubscriptions, eventually } from '#tests/helpers/api_fixtures'

/**
 * Counts the subscription changes announced on Redis from now on.
 */
async function announcements(cleanup: TestContext['cleanup']) {
  const client = await exo.queue.queue(exo.config.queue).client
  // BullMQ types its client narrowly: at runtime it is ioredis
  const listener = client.duplicate({ enableOfflineQueue: true }) as unknown as {
    on(event: 'message', listener: () => void): void
    subscribe(channel: string): Promise<unknown>
    disconnect(): void
  }
  cleanup(() => listener.disconnect())
  let heard = 0
  listener.on('message', () => heard++)
  await listener.subscribe(exo.queue.changesChannel)
  // Announcements travel on a connection of their own: let those sent arrive
  return async () => {
    await sleep(100)
    return heard
  }
}

/**
 * Creates an order of `user` and returns how many requests each receiver
 * got for it in the next 300 ms.
 */
async function requestsForAnOrder(user: User, receivers: Receiver[]) {
  const before = receivers.map((receiver) => receiver.received.length)
  await Order.create({ userId: user.id, total: 1, status: 'new' })
  await sleep(300)
  return receivers.map((receiver, index) => receiver.received.length - before[index])
}

/**
 * Two receivers, a user subscribed to the first, and one order of theirs
 * delivered there: the worker has just read the subscriptions.
 */
async function deliveredOnce(cleanup: TestContext['cleanup']) {
  const [first, second] = await Promise.all([
    startReceiver({ cleanup }),
    startReceiver({ cleanup }),
  ])
  const user = await createUser()
  const subscription = await subscribe(user, first.url)
  await deliveredOrder(user, first)
  return { first, second, user, subscription }
}

/*
 * The workers' matching reuses what it read while no change is announced.
 * Each test below first has an order delivered, so the worker has just read
 * the subscriptions, then changes them and saves the next order at once.
 */
test.group('Subscription changes | matched by the very next event', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('saving or deleting a subscription through the model', async ({ assert, cleanup }) => {
    const { first, second, user, subscription } = await deliveredOnce(cleanup)
    const heard = await announcements(cleanup)

    subscription.url = second.url
    await subscription.save()
    await deliveredOrder(user, second)
    assert.lengthOf(first.received, 1)

    subscription.isActive = false
    await subscription.save()
    assert.deepEqual(await requestsForAnOrder(user, [first, second]), [0, 0])

    const another = await subscribe(user, first.url)
    await deliveredOrder(user, first)

    await another.delete()
    assert.deepEqual(await requestsForAnOrder(user, [first, second]), [0, 0])
    assert.equal(await heard(), 4)
  })

  test('a change committed in a transaction, and not one rolled back', async ({
    assert,
    cleanup,
  }) => {
    const { first, second, user, subscription } = await deliveredOnce(cleanup)

    const heard = await announcements(cleanup)
    await assert.rejects(() =>
      db.transaction(async (trx) => {
        subscription.useTransaction(trx)
        subscription.url = second.url
        await subscription.save()
        throw new Error('rolled back')
      })
    )
    assert.equal(await heard(), 0)
    await deliveredOrder(user, first)

    await db.transaction(async (trx) => {
      const fresh = await WebhookSubscription.findOrFail(subscription.id, { client: trx })
      fresh.url = second.url
      await fresh.save()
    })
    await deliveredOrder(user, second)
    assert.lengthOf(first.received, 2)
  })

  test('a subscription the failure policy disables (410 Gone)', async ({ assert, cleanup }) => {
    const gone = await startReceiver({ status: 410, cleanup })
    const user = await createUser()
    const subscription = await subscribe(user, gone.url)
    await deliveredOrder(user, gone)
    await eventually(
      () => subscription.refresh().then(() => subscription.isActive),
      (active) => !active
    )

    assert.deepEqual(await requestsForAnOrder(user, [gone]), [0])
  })

  test('rows written by raw queries: at once when announced, within a second otherwise', async ({
    cleanup,
  }) => {
    const { first, second, user, subscription } = await deliveredOnce(cleanup)

    const moveTo = (url: string) =>
      db.from('exo_subscriptions').where('id', subscription.id).update({ url })
    await moveTo(second.url)
    await exo.subscriptionsChanged()
    await deliveredOrder(user, second)

    await moveTo(first.url)
    await sleep(1100)
    await deliveredOrder(user, first)
  })
})
