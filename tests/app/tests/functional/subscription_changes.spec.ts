import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from '@japa/runner'
import type { TestContext } from '@japa/runner/core'
import db from '@adonisjs/lucid/services/db'
import exo from 'adonis-exo/services/main'
import { WebhookSubscription } from 'adonis-exo'
import Order from '#models/order'
import type User from '#models/user'
import { createUser, deliveredOrder, subscribe } from '#tests/helpers/fixtures'
import { startReceiver } from '#tests/helpers/receiver'
import { deleteSubscriptions, fannedOutTo } from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'

/**
 * Counts the subscription changes announced on Redis from now on. `heard()`
 * publishes a message of its own on another channel, on the connection the
 * announcements go through, and counts once it is back: Redis hands a
 * subscriber messages in the order it took them, so those announced before
 * are in by then.
 */
async function announcements(cleanup: TestContext['cleanup']) {
  const client = await exo.queue.queue(exo.config.queue).client
  // BullMQ types its client narrowly: at runtime it is ioredis
  const publisher = client as unknown as {
    publish(channel: string, message: string): Promise<number>
  }
  const listener = client.duplicate({ enableOfflineQueue: true }) as unknown as {
    on(event: 'message', listener: (channel: string) => void): void
    subscribe(...channels: string[]): Promise<unknown>
    disconnect(): void
  }
  cleanup(() => listener.disconnect())
  const marks = `${exo.queue.changesChannel}:test-${randomUUID()}`
  let heard = 0
  let marked = 0
  listener.on('message', (channel) => (channel === marks ? marked++ : heard++))
  await listener.subscribe(exo.queue.changesChannel, marks)
  return async () => {
    const mark = marked + 1
    await publisher.publish(marks, '')
    await eventually(
      async () => marked,
      (count) => count >= mark
    )
    return heard
  }
}

/**
 * Creates an order of `user` and returns which of `subscriptions` the
 * workers' matching sent it to, once it is fanned out.
 */
async function matchedByAnOrder(user: User, subscriptions: WebhookSubscription[]) {
  const order = await Order.create({ userId: user.id, total: 1, status: 'new' })
  const sentTo = await fannedOutTo(order)
  return subscriptions.map((subscription) => sentTo.includes(Number(subscription.id)))
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
    assert.deepEqual(await matchedByAnOrder(user, [subscription]), [false])

    const another = await subscribe(user, first.url)
    await deliveredOrder(user, first)

    await another.delete()
    assert.deepEqual(await matchedByAnOrder(user, [subscription, another]), [false, false])
    assert.equal(await heard(), 4)
    assert.lengthOf(first.received, 2)
    assert.lengthOf(second.received, 1)
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

    assert.deepEqual(await matchedByAnOrder(user, [subscription]), [false])
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
    // Unannounced, a change is read again once the matching's copy is a second old:
    // the bound this test is about, so it waits that second out
    await sleep(1100)
    await deliveredOrder(user, first)
  })
})
