import { test } from '@japa/runner'
import type { TestContext } from '@japa/runner/core'
import { Outbox } from '../../src/recording/outbox.js'
import {
  DELIVER_JOB,
  FAN_OUT_JOB,
  namespacedQueue,
  PipelineQueue,
} from '../../src/queue/pipeline_queue.js'
import { Sweeper } from '../../src/upkeep/sweeper.js'
import { databaseOfGroup, dialects, type TestDatabase } from './helpers/database.js'
import { inspectedQueue, redisConnection, uniqueName } from './helpers/redis.js'

type Cleanup = TestContext['cleanup']

/** The sweeper's time, a whole second: MariaDB and SQLite store seconds */
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0)

const options = { eventGrace: 30_000, attemptGrace: 60_000, batchSize: 100 }

/**
 * A sweeper on the group's database and a Redis namespace of the test's
 * own, where `orders` events travel on their own queue and the others on
 * `hooks`; `onRedis` looks into a queue of the namespace.
 */
function sweeperOf(database: TestDatabase, cleanup: Cleanup) {
  const namespace = uniqueName('sweeper', cleanup)
  const queue = new PipelineQueue(redisConnection, { name: namespace, identity: 'shop' })
  cleanup(() => queue.close())
  const queueFor = async (resource: string) => (resource === 'orders' ? 'orders' : 'hooks')
  const sweeper = new Sweeper(database.db, new Outbox(database.db), queue, queueFor, options, {
    now: () => NOW,
  })
  const onRedis = (name: string) => inspectedQueue(namespacedQueue(namespace, name), cleanup)
  return { sweeper, queue, onRedis }
}

for (const dialect of dialects) {
  test.group(`Sweeper | ${dialect}`, (group) => {
    group.each.timeout(10_000)
    const database = databaseOfGroup(group, dialect)

    test('an event left in the outbox past its grace is queued for fan-out on its queue', async ({
      assert,
      cleanup,
    }) => {
      const { sweeper, onRedis } = sweeperOf(database, cleanup)
      const orders = onRedis('orders')
      const hooks = onRedis('hooks')
      await database.addEvent({ id: 'evt_left' }, NOW - 60_000)
      await database.addEvent({ id: 'evt_user', resource: 'users' }, NOW - 120_000)
      await database.addEvent({ id: 'evt_young' }, NOW - 10_000)
      await database.addEvent({ id: 'evt_dispatched' }, NOW - 60_000, NOW - 59_000)

      assert.deepEqual(await sweeper.sweep(), { events: 2, attempts: 0 })

      const [job, ...others] = await orders.getJobs(['waiting', 'delayed'])
      assert.lengthOf(others, 0)
      assert.equal(job.id, 'swept-evt_left')
      assert.equal(job.name, FAN_OUT_JOB)
      assert.deepEqual(job.data, { eventIds: ['evt_left'], app: 'shop' })
      const onHooks = await hooks.getJobs(['waiting', 'delayed'])
      assert.deepEqual(
        onHooks.map(({ id, data }) => ({ id, data })),
        [{ id: 'swept-evt_user', data: { eventIds: ['evt_user'], app: 'shop' } }]
      )
    })

    test('an event swept twice is queued once', async ({ assert, cleanup }) => {
      const { sweeper, onRedis } = sweeperOf(database, cleanup)
      const orders = onRedis('orders')
      await database.addEvent({ id: 'evt_left' }, NOW - 60_000)

      await sweeper.sweep()
      await sweeper.sweep()

      const jobs = await orders.getJobs(['waiting', 'delayed'])
      assert.deepEqual(
        jobs.map((job) => job.id),
        ['swept-evt_left']
      )
    })

    test('a transaction’s batch left in the outbox past its grace is queued whole', async ({
      assert,
      cleanup,
    }) => {
      const { sweeper, onRedis } = sweeperOf(database, cleanup)
      const orders = onRedis('orders')
      await database.addEventBatch(
        [{ id: 'evt_b1' }, { id: 'evt_b2', event: 'on_update' }],
        NOW - 60_000
      )
      await database.addEventBatch([{ id: 'evt_young1' }], NOW - 10_000)

      assert.deepEqual(await sweeper.sweep(), { events: 2, attempts: 0 })

      const jobs = await orders.getJobs(['waiting', 'delayed'])
      assert.deepEqual(
        jobs.map(({ id, name, data }) => ({ id, name, data })),
        [
          {
            id: 'swept-evt_b1',
            name: FAN_OUT_JOB,
            data: { batchId: 'evt_b1', eventIds: ['evt_b1', 'evt_b2'], app: 'shop' },
          },
        ]
      )
    })

    test('an overdue pending attempt whose job is gone is queued again in a job of its own', async ({
      assert,
      cleanup,
    }) => {
      const { sweeper, queue, onRedis } = sweeperOf(database, cleanup)
      const orders = onRedis('orders')
      await database.addSubscription(1)
      await database.addEvent({ id: 'evt_1' }, NOW - 600_000, NOW - 599_000)
      const of = (id: string) => ({ id, subscriptionId: 1, eventId: 'evt_1' })
      // Its job was lost
      await database.addAttempt(of('dlv_lost'), NOW - 120_000)
      // Its job, shared with another attempt, was lost too
      await database.addAttempt(of('dlv_orphan'), NOW - 120_000, { job_id: 'dlv_shared' })
      // Never given a job (as a fan-out sending it itself writes it)
      await database.addAttempt(of('dlv_unqueued'), NOW - 120_000, { job_id: null })
      // Their job still waits on Redis
      await database.addAttempt(of('dlv_waiting'), NOW - 120_000)
      await database.addAttempt(of('dlv_sibling'), NOW - 120_000, { job_id: 'dlv_waiting' })
      const waitingJob = ['dlv_waiting', 'dlv_sibling']
      await queue.enqueueDeliveries([
        { id: 'dlv_waiting', queue: 'orders', delay: 600_000, deliveryIds: waitingJob },
      ])
      // Within its grace, and completed
      await database.addAttempt(of('dlv_recent'), NOW - 30_000)
      await database.addAttempt(of('dlv_done'), NOW - 120_000, { status: 'success' })

      assert.deepEqual(await sweeper.sweep(), { events: 0, attempts: 5 })

      const jobs = await orders.getJobs(['waiting', 'delayed'])
      assert.sameMembers(
        jobs.map((job) => job.id),
        ['dlv_lost', 'dlv_orphan', 'dlv_unqueued', 'dlv_waiting']
      )
      for (const id of ['dlv_lost', 'dlv_orphan', 'dlv_unqueued']) {
        const job = (await orders.getJob(id))!
        assert.equal(job.name, DELIVER_JOB, id)
        assert.deepEqual(job.data, { app: 'shop', deliveryIds: [id] }, id)
        assert.equal(await job.getState(), 'waiting', id)
      }
      const waiting = (await orders.getJob('dlv_waiting'))!
      assert.equal(await waiting.getState(), 'delayed', 'left as it was')
      assert.equal(waiting.delay, 600_000)
      assert.deepEqual(waiting.data.deliveryIds, waitingJob)
    })

    test('an overdue attempt is not queued twice by two sweeps', async ({ assert, cleanup }) => {
      const { sweeper, onRedis } = sweeperOf(database, cleanup)
      const orders = onRedis('orders')
      await database.addSubscription(1)
      await database.addEvent({ id: 'evt_1' }, NOW - 600_000, NOW - 599_000)
      await database.addAttempt(
        { id: 'dlv_lost', subscriptionId: 1, eventId: 'evt_1' },
        NOW - 120_000
      )

      await sweeper.sweep()
      await sweeper.sweep()

      const jobs = await orders.getJobs(['waiting', 'delayed'])
      assert.deepEqual(
        jobs.map((job) => job.id),
        ['dlv_lost']
      )
    })
  })
}
