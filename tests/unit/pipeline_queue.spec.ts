import { once } from 'node:events'
import { test } from '@japa/runner'
import type { TestContext } from '@japa/runner/core'
import { Worker, type ConnectionOptions } from 'bullmq'
import {
  DELIVER_JOB,
  FAN_OUT_JOB,
  PipelineQueue,
  type QueueNamespace,
} from '../../src/queue/pipeline_queue.js'
import { freePort } from '../app/tests/helpers/free_port.js'
import { inspectedQueue, redisClient, redisConnection, uniqueName } from './helpers/redis.js'

/**
 * The producer of an app, closed when the test ends.
 */
function pipeline(
  cleanup: TestContext['cleanup'],
  namespace: QueueNamespace,
  connection: ConnectionOptions = redisConnection
) {
  const queue = new PipelineQueue(connection, namespace)
  cleanup(() => queue.close())
  return queue
}

test.group('PipelineQueue', (group) => {
  group.each.timeout(10_000)

  test('jobs land on <namespace>.<queue>, named after their job module and carrying the app', async ({
    assert,
    cleanup,
  }) => {
    const namespace = uniqueName('names', cleanup)
    const shop = pipeline(cleanup, { name: namespace, identity: 'shop' })
    const onRedis = inspectedQueue(`${namespace}.hooks`, cleanup)

    await shop.enqueueFanOut([
      { queue: 'hooks', jobId: 'batch-1', payload: { eventIds: ['e1'], batchId: 'batch-1' } },
    ])
    await shop.enqueueDeliveries([{ id: 'a1', queue: 'hooks', delay: 0, deliveryIds: ['a1'] }])

    const fanOut = (await onRedis.getJob('batch-1'))!
    assert.equal(fanOut.name, FAN_OUT_JOB)
    assert.deepEqual(fanOut.data, { eventIds: ['e1'], batchId: 'batch-1', app: 'shop' })
    const delivery = (await onRedis.getJob('a1'))!
    assert.equal(delivery.name, DELIVER_JOB)
    assert.deepEqual(delivery.data, { app: 'shop', deliveryIds: ['a1'] })
    assert.equal(await delivery.getState(), 'waiting')
  })

  test('a delivery due later waits delayed by its delay', async ({ assert, cleanup }) => {
    const namespace = uniqueName('delayed', cleanup)
    const shop = pipeline(cleanup, { name: namespace, identity: 'shop' })
    const onRedis = inspectedQueue(`${namespace}.hooks`, cleanup)

    await shop.enqueueDeliveries([
      { id: 'later', queue: 'hooks', delay: 60_000, deliveryIds: ['later', 'later-2'] },
    ])

    const job = (await onRedis.getJob('later'))!
    assert.equal(await job.getState(), 'delayed')
    assert.equal(job.delay, 60_000)
    assert.deepEqual(job.data.deliveryIds, ['later', 'later-2'])
  })

  test('one call queues thousands of jobs, each on the queue it names', async ({
    assert,
    cleanup,
  }) => {
    const namespace = uniqueName('bulk', cleanup)
    const shop = pipeline(cleanup, { name: namespace, identity: 'shop' })
    const hooks = inspectedQueue(`${namespace}.hooks`, cleanup)
    const orders = inspectedQueue(`${namespace}.orders`, cleanup)

    // More than one Redis round trip's worth on `hooks`
    const items = Array.from({ length: 2_600 }, (_, index) => ({
      queue: index % 10 === 0 ? 'orders' : 'hooks',
      jobId: `batch-${index}`,
      payload: { eventIds: [`e${index}`] },
    }))
    await shop.enqueueFanOut(items)

    assert.equal(await hooks.getWaitingCount(), 2_340)
    assert.equal(await orders.getWaitingCount(), 260)
    assert.deepEqual((await orders.getJob('batch-2590'))!.data, {
      eventIds: ['e2590'],
      app: 'shop',
    })
  })

  test('requeueing attempts adds jobs for those whose job is gone and retries failed ones', async ({
    assert,
    cleanup,
  }) => {
    const namespace = uniqueName('requeue', cleanup)
    const shop = pipeline(cleanup, { name: namespace, identity: 'shop' })
    const onRedis = inspectedQueue(`${namespace}.hooks`, cleanup)

    await shop.enqueueDeliveries([
      { id: 'queued', queue: 'hooks', delay: 60_000, deliveryIds: ['queued', 'sibling'] },
    ])
    // A job that failed for good: taken by a worker and failed on its only attempt
    await onRedis.add(DELIVER_JOB, { app: 'shop', deliveryIds: ['dropped'] }, { jobId: 'dropped' })
    const worker = new Worker(onRedis.name, null, { connection: redisConnection })
    cleanup(() => worker.close())
    const taken = (await worker.getNextJob('test-token'))!
    await taken.moveToFailed(new Error('database away'), 'test-token')
    assert.equal(await taken.getState(), 'failed')

    await shop.requeueAttempts([
      { id: 'sibling', jobId: 'queued', queue: 'hooks' },
      { id: 'dropped', jobId: 'dropped', queue: 'hooks' },
      { id: 'lost', jobId: 'lost', queue: 'hooks' },
      { id: 'never-queued', jobId: null, queue: 'hooks' },
    ])

    const jobs = await onRedis.getJobs(['waiting', 'delayed', 'failed', 'active'])
    assert.sameMembers(
      jobs.map((job) => job.id),
      ['queued', 'dropped', 'lost', 'never-queued']
    )
    assert.equal(await (await onRedis.getJob('queued'))!.getState(), 'delayed')
    assert.equal(await (await onRedis.getJob('dropped'))!.getState(), 'waiting')
    const lost = (await onRedis.getJob('lost'))!
    assert.equal(lost.name, DELIVER_JOB)
    assert.deepEqual(lost.data, { app: 'shop', deliveryIds: ['lost'] })
    assert.equal(await lost.getState(), 'waiting')
  })

  test('a lock is held by one process of an app at a time, for its time to live', async ({
    assert,
    cleanup,
  }) => {
    const namespace = uniqueName('locks', cleanup)
    const shop = pipeline(cleanup, { name: namespace, identity: 'shop' })
    const shopElsewhere = pipeline(cleanup, { name: namespace, identity: 'shop' })
    const blog = pipeline(cleanup, { name: namespace, identity: 'blog' })
    const otherNamespace = pipeline(cleanup, {
      name: uniqueName('locks', cleanup),
      identity: 'shop',
    })

    assert.isTrue(await shop.tryLock('hooks', 'sweeper', 60_000))
    assert.isFalse(await shop.tryLock('hooks', 'sweeper', 60_000))
    assert.isFalse(await shopElsewhere.tryLock('hooks', 'sweeper', 60_000))
    assert.isTrue(await blog.tryLock('hooks', 'sweeper', 60_000), 'another identity')
    assert.isTrue(await otherNamespace.tryLock('hooks', 'sweeper', 60_000), 'another namespace')

    // The two locks on the namespace expire: a crashed worker does not hold them for ever
    const redis = redisClient(cleanup)
    const keys = await redis.keys(`exo:${namespace}:lock:*`)
    assert.lengthOf(keys, 2)
    for (const key of keys) {
      const ttl = await redis.pttl(key)
      assert.isAbove(ttl, 0, key)
      assert.isAtMost(ttl, 60_000, key)
    }
  })

  test('a change of subscriptions is published on the channel of the namespace', async ({
    assert,
    cleanup,
  }) => {
    const shop = pipeline(cleanup, { name: uniqueName('changes', cleanup), identity: 'shop' })
    const blog = pipeline(cleanup, { name: uniqueName('changes', cleanup), identity: 'blog' })
    assert.notEqual(shop.changesChannel, blog.changesChannel)

    const subscriber = redisClient(cleanup)
    await subscriber.subscribe(shop.changesChannel)
    const message = once(subscriber, 'message')
    await shop.announceSubscriptionsChanged('hooks')

    const [channel] = await message
    assert.equal(channel, shop.changesChannel)
  })

  test('producing fails instead of waiting when Redis is unreachable', async ({
    assert,
    cleanup,
  }) => {
    const closed = { host: '127.0.0.1', port: await freePort() }
    const shop = pipeline(cleanup, { name: 'unreachable', identity: 'shop' }, closed)

    await assert.rejects(() =>
      shop.enqueueDeliveries([{ id: 'a1', queue: 'hooks', delay: 0, deliveryIds: ['a1'] }])
    )
    await assert.rejects(() => shop.announceSubscriptionsChanged('hooks'))
    await assert.rejects(() => shop.tryLock('hooks', 'sweeper', 60_000))
  }).timeout(30_000)
})
