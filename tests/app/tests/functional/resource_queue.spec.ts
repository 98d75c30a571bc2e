import { test } from '@japa/runner'
import { QueueEvents } from 'bullmq'
import { WebhookSubscription } from 'adonis-exo'
import exo from 'adonis-exo/services/main'
import env from '#start/env'
import Note from '#models/note'
import Order from '#models/order'
import { createUser, subscribe } from '#tests/helpers/fixtures'
import { startReceiver } from '#tests/helpers/receiver'
import { attemptsOf, deleteSubscriptions } from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'
import { queueConnection, redisQueue } from '#tests/helpers/worker'

/**
 * Watches which jobs a queue's workers complete, from the events BullMQ
 * streams in Redis.
 */
async function watchCompleted(queue: string) {
  const events = new QueueEvents(redisQueue(queue), {
    connection: queueConnection(),
  })
  await events.waitUntilReady()
  const completed: string[] = []
  events.on('completed', ({ jobId }) => completed.push(jobId))
  return { completed, close: () => events.close() }
}

test.group('A resource’s webhookQueue', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('carries its events and attempts; other resources stay on the configured queue', async ({
    assert,
    cleanup,
  }) => {
    const mainQueue = env.get('EXO_QUEUE', 'exo-webhooks')
    assert.equal(Note.webhookQueue, `${mainQueue}-notes`)
    const onMain = await watchCompleted(mainQueue)
    const onNotes = await watchCompleted(Note.webhookQueue)
    cleanup(async () => {
      await Promise.all([onMain.close(), onNotes.close()])
    })
    const receiver = await startReceiver({ cleanup })
    const admin = await createUser({ isAdmin: true })
    const noteHook = await subscribe(admin, receiver.url, {
      resource: 'note',
      events: ['on_delete'],
    })
    const orderHook = await subscribe(admin, receiver.url)

    const note = await Note.create({ body: 'on its own queue' })
    await note.delete()
    await Order.create({ userId: admin.id, total: 1, status: 'new' })
    await receiver.waitFor(2)
    const noteEvent = receiver.received.find((request) => request.json.resource === 'note')!
    const orderEvent = receiver.received.find((request) => request.json.resource === 'order')!

    // First attempts go out with their fan-out job; a redelivery travels in a job of its own
    const redeliver = async (subscriptionId: number) => {
      const [first] = await attemptsOf(subscriptionId, (rows) => rows[0]?.status === 'success')
      const subscription = await WebhookSubscription.findOrFail(subscriptionId)
      return exo.subscriptions.redeliver(subscription, first)
    }
    const noteAttempt = { id: await redeliver(noteHook.id) }
    const orderAttempt = { id: await redeliver(orderHook.id) }
    await receiver.waitFor(4)
    // Completion events reach the listeners shortly after the HTTP request
    const settled = () => Promise.resolve([...onNotes.completed, ...onMain.completed])
    await eventually(
      settled,
      (ids) => ids.includes(noteAttempt.id) && ids.includes(orderAttempt.id)
    )

    assert.includeMembers(onNotes.completed, [noteEvent.json.id, noteAttempt.id])
    assert.notIncludeMembers(onNotes.completed, [orderEvent.json.id, orderAttempt.id])
    assert.includeMembers(onMain.completed, [orderEvent.json.id, orderAttempt.id])
    assert.notIncludeMembers(onMain.completed, [noteEvent.json.id, noteAttempt.id])
  })
})
