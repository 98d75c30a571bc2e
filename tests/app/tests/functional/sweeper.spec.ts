import { test } from '@japa/runner'
import { Queue, Worker } from 'bullmq'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import exo from 'adonis-exo/services/main'
import { WebhookEvent } from 'adonis-exo'
import { deliveredOrder, subscribedReceiver } from '#tests/helpers/fixtures'
import { completedAttempts, deleteSubscriptions } from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'
import { queueConnection, redisQueue } from '#tests/helpers/worker'

let recorded = 0

/**
 * An order event as the recorder makes it.
 */
function orderEvent(ownerId: number) {
  return {
    id: `evt_SWEEPERTEST${Date.now()}${recorded++}`,
    resource: 'order',
    event: 'on_create' as const,
    data: JSON.stringify({ id: recorded }),
    ownerId: String(ownerId),
    environment: 'test',
    occurredAt: '2026-03-28T14:30:00.123456Z',
  }
}

/**
 * An order event as the recorder writes it when Redis does not answer.
 */
async function leftInOutbox(ownerId: number) {
  const event = orderEvent(ownerId)
  await exo.outbox.insert([event])
  return event.id
}

test.group('Sweeper | events left in the outbox are delivered', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('an event the request could not queue is fanned out by the sweeper, once', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user } = await subscribedReceiver(cleanup)

    const id = await leftInOutbox(user.id)

    const early = await exo.sweeper.sweep()
    assert.equal(early.events, 0, 'events younger than the grace period are left to the request')

    const swept = await exo.sweeper.sweep(Date.now() + 60_000)
    assert.isAtLeast(swept.events, 1)
    const [request] = await receiver.waitFor(1)
    assert.equal(request.json.id, id)
    assert.equal(request.json.timestamp, '2026-03-28T14:30:00.123456Z')

    const event = await WebhookEvent.findOrFail(id)
    assert.isNotNull(event.dispatchedAt)
    await exo.sweeper.sweep(Date.now() + 60_000)
    // Saved after the second sweep, the order's event is fanned out after anything it queued
    const sentinel = await deliveredOrder(user, receiver)
    assert.deepEqual(
      receiver.received.map((sent) => sent.json.id),
      [id, sentinel.json.id]
    )
  })

  test('workers sweep on their own: an event left in the outbox arrives with no one calling sweep', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user } = await subscribedReceiver(cleanup)

    const id = await leftInOutbox(user.id)
    // Older than the grace period, as if Redis had been down for a while
    await WebhookEvent.query()
      .where('id', id)
      .update({ created_at: DateTime.now().minus({ minutes: 5 }).toJSDate() })

    // The worker's sweeper runs every 15 s
    const [request] = await receiver.waitFor(1, 40_000)
    assert.equal(request.json.id, id)
  }).timeout(60_000)
})

test.group("Sweeper | a transaction's outbox batch", (group) => {
  group.each.teardown(deleteSubscriptions)

  test('fanned out twice at once (its job and the sweeper), each event is sent once', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user, subscription } = await subscribedReceiver(cleanup)
    const events = [orderEvent(user.id), orderEvent(user.id)]
    await exo.outbox.batches.insert([{ id: events[0].id, events }], db.connection())
    const ids = events.map((event) => event.id)

    const payload = { batchId: ids[0], eventIds: ids }
    const fanOut = () =>
      exo.fanOut.run(payload).then((started) => exo.deliverer.sendStarted(started))
    await Promise.all([fanOut(), fanOut()])

    // Both fan-outs are over: these are all the attempts there will be
    const attempts = await completedAttempts(subscription.id, 2)
    assert.lengthOf(attempts, 2)
    assert.sameMembers(
      receiver.received.map((request) => request.json.id),
      ids
    )
    assert.lengthOf(await db.from('exo_event_batches').where('id', ids[0]), 0, 'moved out')
    assert.lengthOf(await WebhookEvent.query().whereIn('id', ids).whereNotNull('dispatched_at'), 2)
  })
})

test.group('Sweeper | overdue attempts are queued again only when their job is gone', () => {
  test('a lost job is queued again, a failed one retried, a waiting one left alone', async ({
    assert,
    cleanup,
  }) => {
    // A queue no worker listens on, so that the jobs stay as the test puts them
    const name = `exo-sweeper-test-${Date.now()}`
    const connection = queueConnection()
    const queue = new Queue(redisQueue(name), { connection })
    cleanup(async () => {
      await queue.obliterate({ force: true })
      await queue.close()
    })
    const job = (deliveryIds: string[]) => ({ deliveryIds })

    await queue.add('adonis-exo/jobs/deliver', job(['dlv_FAILED']), {
      jobId: 'dlv_FAILED',
      attempts: 1,
    })
    const failing = new Worker(
      redisQueue(name),
      async () => {
        throw new Error('the database is away')
      },
      { connection }
    )
    await eventually(
      () => queue.getJobState('dlv_FAILED'),
      (state) => state === 'failed'
    )
    await failing.close()
    await queue.add('adonis-exo/jobs/deliver', job(['dlv_WAITING', 'dlv_SHARING']), {
      jobId: 'dlv_WAITING',
    })

    await exo.queue.requeueAttempts([
      { id: 'dlv_LOST', jobId: null, queue: name },
      { id: 'dlv_WAITING', jobId: 'dlv_WAITING', queue: name },
      { id: 'dlv_SHARING', jobId: 'dlv_WAITING', queue: name },
      { id: 'dlv_FAILED', jobId: 'dlv_FAILED', queue: name },
    ])

    assert.equal(await queue.getJobState('dlv_FAILED'), 'waiting', 'the failed job is retried')
    assert.equal(await queue.getJobState('dlv_LOST'), 'waiting', 'the lost one has a job again')
    const requeued = await queue.getJob('dlv_LOST')
    assert.containsSubset(requeued!.data, job(['dlv_LOST']))
    assert.match(requeued!.data.app, /^[0-9a-f]{16}$/, 'the job carries the app it belongs to')
    assert.equal(await queue.getJobState('dlv_SHARING'), 'unknown', 'no second job beside its own')
    assert.equal(await queue.getWaitingCount(), 3)
  })
})
