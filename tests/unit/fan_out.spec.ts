import { test } from '@japa/runner'
import type { TestContext } from '@japa/runner/core'
import { Encryption } from '@adonisjs/core/encryption'
import { AppFactory } from '@adonisjs/core/factories/app'
import { compose } from '@adonisjs/core/helpers'
import type { ApplicationService } from '@adonisjs/core/types'
import { BaseModel } from '@adonisjs/lucid/orm'
import { defineConfig } from '../../src/define_config.js'
import { AttemptLog, type StartedAttempt } from '../../src/delivery/attempt_log.js'
import { DeliveryPlans } from '../../src/delivery/delivery_plan.js'
import { FanOut } from '../../src/fan_out/fan_out.js'
import { SubscriptionMatcher } from '../../src/fan_out/subscription_matcher.js'
import { encryptionSecrets } from '../../src/framework/adonis6.js'
import { useFramework, type Framework } from '../../src/framework/framework.js'
import { WebhookSubscription } from '../../src/models/webhook_subscription.js'
import { DELIVER_JOB, namespacedQueue, PipelineQueue } from '../../src/queue/pipeline_queue.js'
import { Outbox } from '../../src/recording/outbox.js'
import { ResourceRegistry } from '../../src/resources/registry.js'
import { Webhookable } from '../../src/resources/webhookable.js'
import type { EventRecord } from '../../src/types.js'
import {
  databaseOfGroup,
  dialects,
  eventRecord,
  millisOf,
  User,
  type TestDatabase,
} from './helpers/database.js'
import { inspectedQueue, redisConnection, uniqueName } from './helpers/redis.js'

type Cleanup = TestContext['cleanup']

/** The fan-out's time, a whole second: MariaDB and SQLite store seconds */
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0)
const clock = { now: () => NOW }

/** Orders travel on the configured queue and are sent at once (the default backoff) */
class Order extends compose(BaseModel, Webhookable) {
  static resource = 'orders'
  static triggers() {
    return ['on_create', 'on_update', 'on_delete'] as const
  }
}

/** Invoices travel on a queue of their own, their first attempt 30 s after the fan-out */
class Invoice extends compose(BaseModel, Webhookable) {
  static resource = 'invoices'
  static webhookQueue = 'invoices'
  static webhookBackoff = ['30s', '2m']
  static triggers() {
    return ['on_create'] as const
  }
}

/** Secrets at rest under a key of these specs; nothing here has an HTTP request */
const secrets = encryptionSecrets(new Encryption({ secret: 'the fan-out specs own this app key' }))
const noRequest = () => {
  throw new Error('The fan-out has no HTTP request to reach the session or shield with')
}
const framework: Framework = {
  secrets,
  flash: { set: noRequest, get: noRequest, outgoing: noRequest },
  exemptFromCsrf: noRequest,
  answerBadUrlsInJson: noRequest,
}

const app = new AppFactory().create(new URL('../../', import.meta.url)) as ApplicationService

/** User 3 is an admin, 1 and 2 are not; no user has id 9 */
const ADMIN = 3
async function addUsers(database: TestDatabase) {
  await database.addUser(1)
  await database.addUser(2)
  await database.addUser(ADMIN, { isAdmin: true })
}

/** The signing secret of a subscription, as it is sent with its attempts */
function secretOf(subscriptionId: number) {
  return `whsec_subscription_${subscriptionId}`
}

/** An `orders` subscription of user 1 to `on_create`, its secret encrypted as the package stores it */
function addSubscription(
  database: TestDatabase,
  id: number,
  columns: Record<string, unknown> = {}
) {
  return database.addSubscription(id, { secret: secrets.encrypt(secretOf(id)), ...columns })
}

/** An event in the outbox, recorded a second ago and not fanned out yet */
function addEvent(database: TestDatabase, event: Partial<EventRecord> & { id: string }) {
  return database.addEvent(event, NOW - 1000)
}

/**
 * A fan-out wired as `Exo` wires it, on the group's database and a Redis
 * namespace of the test's own, with the config `defineConfig` resolves:
 * `orders` on the configured queue `hooks`, `invoices` on theirs. Matching
 * hears of no changes, so each batch reads the subscriptions afresh.
 * `otherWorker` makes the fan-out of a second worker of the app; `onRedis`
 * looks into a queue of the namespace.
 */
async function fanOutOf(database: TestDatabase, cleanup: Cleanup) {
  const namespace = uniqueName('fan-out', cleanup)
  const config = await defineConfig({
    userModel: async () => ({ default: User }),
    isAdmin: (user: User) => user.isAdmin,
    resources: [async () => ({ default: Order }), async () => ({ default: Invoice })],
    namespace,
    queue: 'hooks',
  }).resolver(app)
  const plans = new DeliveryPlans(new ResourceRegistry(config.resources), config)

  const worker = () => {
    const queue = new PipelineQueue(redisConnection, { name: namespace, identity: 'shop' })
    cleanup(() => queue.close())
    return new FanOut(
      database.db,
      new Outbox(database.db),
      new SubscriptionMatcher(config, () => null),
      new AttemptLog(clock),
      queue,
      plans.for
    )
  }
  const onRedis = (name: string) => inspectedQueue(namespacedQueue(namespace, name), cleanup)
  return { fanOut: worker(), otherWorker: worker, onRedis }
}

/** The attempts written, as `event → subscription`, in that order */
async function attemptsWritten(database: TestDatabase) {
  const rows = await database.db
    .from('exo_deliveries')
    .orderBy('event_id')
    .orderBy('subscription_id')
  return rows.map((row) => `${row.event_id} → ${row.subscription_id}`)
}

/** Attempts handed back, as `event → subscription` */
function handedBack(started: StartedAttempt[]) {
  return started.map(({ delivery }) => `${delivery.eventId} → ${delivery.subscriptionId}`)
}

/** Whether the outbox has the event as fanned out */
async function isDispatched(database: TestDatabase, eventId: string) {
  const row = await database.row('exo_events', eventId)
  return row !== null && row.dispatched_at !== null
}

/** `count` events of user 1's orders, carried whole */
function ordersOfUser1(count: number) {
  return Array.from({ length: count }, (_, index) =>
    eventRecord({ id: `evt_${String(index).padStart(4, '0')}`, ownerId: '1' })
  )
}

for (const dialect of dialects) {
  test.group(`Fan-out | ${dialect}`, (group) => {
    group.each.timeout(20_000)
    group.setup(() => useFramework(framework))
    const database = databaseOfGroup(group, dialect)

    test('an event is claimed and gets a first attempt at each active subscription to it whose owner may see its record', async ({
      assert,
      cleanup,
    }) => {
      const { fanOut } = await fanOutOf(database, cleanup)
      await addUsers(database)
      await addSubscription(database, 1, { user_id: 1 })
      await addSubscription(database, 2, {
        user_id: 2,
        events: '["on_create","on_update"]',
        environments: '["test"]',
      })
      await addSubscription(database, 3, { user_id: ADMIN })
      await addSubscription(database, 4, { user_id: 1, is_active: false })
      await addSubscription(database, 5, { user_id: 1, resource: 'invoices' })
      await addSubscription(database, 6, { user_id: 1, events: '["on_delete"]' })
      await addSubscription(database, 7, { user_id: 1, environments: '["production"]' })
      // Its owner is no user: not an admin
      await addSubscription(database, 8, { user_id: 9 })
      await addEvent(database, { id: 'evt_a', ownerId: '1' })
      await addEvent(database, { id: 'evt_b', ownerId: '2' })
      await addEvent(database, { id: 'evt_c', ownerId: null })
      await addEvent(database, { id: 'evt_d', ownerId: '2', event: 'on_update' })
      await addEvent(database, { id: 'evt_e', ownerId: '1', environment: 'production' })
      const eventIds = ['evt_a', 'evt_b', 'evt_c', 'evt_d', 'evt_e']

      const started = await fanOut.run({ eventIds })

      const expected = [
        // Its owner's, and the admin's
        'evt_a → 1',
        'evt_a → 3',
        'evt_b → 2',
        'evt_b → 3',
        // No owner: the admin's only
        'evt_c → 3',
        // The admin's is to on_create only
        'evt_d → 2',
        // Subscription 1 is to every environment, 7 to production
        'evt_e → 1',
        'evt_e → 3',
        'evt_e → 7',
      ]
      assert.deepEqual(await attemptsWritten(database), expected)
      assert.sameMembers(handedBack(started), expected)
      for (const id of eventIds) assert.isTrue(await isDispatched(database, id), id)
    })

    test('the first attempts due at once are handed back started, with their subscription and event, and no job', async ({
      assert,
      cleanup,
    }) => {
      const { fanOut, onRedis } = await fanOutOf(database, cleanup)
      const hooks = onRedis('hooks')
      await addUsers(database)
      await addSubscription(database, 1, { user_id: 1 })
      await addSubscription(database, 3, { user_id: ADMIN })
      await addEvent(database, { id: 'evt_1', ownerId: '1' })

      const started = await fanOut.run({ eventIds: ['evt_1'] })

      assert.deepEqual(handedBack(started), ['evt_1 → 1', 'evt_1 → 3'])
      for (const { delivery, subscription, event } of started) {
        const subscriptionId = delivery.subscriptionId
        assert.equal(delivery.attempt, 1)
        assert.deepEqual(event, eventRecord({ id: 'evt_1', ownerId: '1' }))
        assert.instanceOf(subscription, WebhookSubscription)
        assert.equal(Number(subscription.id), subscriptionId)
        assert.equal(subscription.url, `https://receiver.test/hooks/${subscriptionId}`)
        assert.equal(subscription.secret, secretOf(subscriptionId), 'decrypted')

        const row = (await database.row('exo_deliveries', delivery.id))!
        assert.equal(Number(row.subscription_id), subscriptionId)
        assert.equal(row.event_id, 'evt_1')
        assert.equal(row.attempt, 1)
        assert.equal(row.status, 'pending')
        assert.isNull(row.job_id)
        assert.equal(millisOf(row.started_at), NOW)
        assert.equal(millisOf(row.scheduled_at), NOW)
        assert.equal(millisOf(row.created_at), NOW)
      }
      assert.lengthOf(await attemptsWritten(database), 2)
      assert.equal(await hooks.count(), 0)
    })

    test('the first attempts of a resource whose plan waits are written pending, in a delivery job on its queue', async ({
      assert,
      cleanup,
    }) => {
      const { fanOut, onRedis } = await fanOutOf(database, cleanup)
      const invoices = onRedis('invoices')
      const hooks = onRedis('hooks')
      await addUsers(database)
      await addSubscription(database, 1, { user_id: 1, resource: 'invoices' })
      await addSubscription(database, 3, { user_id: ADMIN, resource: 'invoices' })
      await addEvent(database, { id: 'evt_1', resource: 'invoices', ownerId: '1' })

      assert.deepEqual(await fanOut.run({ eventIds: ['evt_1'] }), [])

      const rows = await database.db.from('exo_deliveries').orderBy('subscription_id')
      assert.deepEqual(
        rows.map((row) => Number(row.subscription_id)),
        [1, 3]
      )
      const jobId = rows[0].job_id
      assert.isString(jobId)
      for (const row of rows) {
        assert.equal(row.status, 'pending')
        assert.isNull(row.started_at)
        assert.equal(row.job_id, jobId)
        assert.equal(millisOf(row.scheduled_at), NOW + 30_000)
      }
      assert.isTrue(await isDispatched(database, 'evt_1'))

      const job = (await invoices.getJob(jobId))!
      assert.equal(job.name, DELIVER_JOB)
      assert.equal(job.data.app, 'shop')
      assert.sameMembers(
        job.data.deliveryIds,
        rows.map((row) => row.id)
      )
      assert.equal(job.delay, 30_000)
      assert.equal(await job.getState(), 'delayed')
      assert.equal(await invoices.count(), 1)
      assert.equal(await hooks.count(), 0)
    })

    test('500 first attempts due at once, the inline limit, are all handed back', async ({
      assert,
      cleanup,
    }) => {
      const { fanOut, onRedis } = await fanOutOf(database, cleanup)
      await addSubscription(database, 1, { user_id: 1 })

      const started = await fanOut.run({ events: ordersOfUser1(500) })

      assert.lengthOf(started, 500)
      const [{ total }] = await database.db
        .from('exo_deliveries')
        .whereNotNull('started_at')
        .whereNull('job_id')
        .count('* as total')
      assert.equal(Number(total), 500)
      assert.equal(await onRedis('hooks').count(), 0)
    })

    test('501 first attempts due at once, past the inline limit, are all queued, 50 to a delivery job', async ({
      assert,
      cleanup,
    }) => {
      const { fanOut, onRedis } = await fanOutOf(database, cleanup)
      const hooks = onRedis('hooks')
      await addSubscription(database, 1, { user_id: 1 })

      assert.deepEqual(await fanOut.run({ events: ordersOfUser1(501) }), [])

      const rows = await database.db.from('exo_deliveries').select('id', 'job_id', 'started_at')
      assert.lengthOf(rows, 501)
      assert.isTrue(rows.every((row) => row.started_at === null))
      const jobs = await hooks.getJobs(['waiting', 'delayed'])
      assert.lengthOf(jobs, 11)
      for (const job of jobs) {
        assert.equal(job.name, DELIVER_JOB)
        assert.equal(job.delay, 0)
        assert.isAtMost(job.data.deliveryIds.length, 50)
        assert.sameMembers(
          job.data.deliveryIds,
          rows.filter((row) => row.job_id === job.id).map((row) => row.id),
          `job ${job.id}`
        )
      }
      assert.lengthOf(
        new Set(jobs.flatMap((job) => job.data.deliveryIds)),
        501,
        'each attempt in one job'
      )
    })

    test('a job run again writes no second attempt and hands nothing back', async ({
      assert,
      cleanup,
    }) => {
      const { fanOut, onRedis } = await fanOutOf(database, cleanup)
      const invoices = onRedis('invoices')
      await addSubscription(database, 1, { user_id: 1 })
      await addSubscription(database, 2, { user_id: 1, resource: 'invoices' })
      await addEvent(database, { id: 'evt_order', ownerId: '1' })
      await addEvent(database, { id: 'evt_invoice', resource: 'invoices', ownerId: '1' })
      const payload = { eventIds: ['evt_order', 'evt_invoice'] }

      assert.deepEqual(handedBack(await fanOut.run(payload)), ['evt_order → 1'])
      assert.deepEqual(await fanOut.run(payload), [])

      assert.deepEqual(await attemptsWritten(database), ['evt_invoice → 2', 'evt_order → 1'])
      assert.equal(await invoices.count(), 1)
    })

    test('the sweeper’s job beside the original, run before or after it, fans the events out once', async ({
      assert,
      cleanup,
    }) => {
      const { fanOut, onRedis } = await fanOutOf(database, cleanup)
      const invoices = onRedis('invoices')
      await addSubscription(database, 1, { user_id: 1 })
      await addSubscription(database, 2, { user_id: 1, resource: 'invoices' })
      const first = eventRecord({ id: 'evt_1', ownerId: '1' })
      const second = eventRecord({ id: 'evt_2', ownerId: '1' })
      const invoice = eventRecord({ id: 'evt_3', resource: 'invoices', ownerId: '1' })
      // Recorded in the outbox, their jobs carrying them whole
      for (const event of [first, second, invoice]) await addEvent(database, event)

      assert.deepEqual(handedBack(await fanOut.run({ events: [first] })), ['evt_1 → 1'])
      assert.deepEqual(await fanOut.run({ eventIds: ['evt_1'] }), [])

      const swept = await fanOut.run({ eventIds: ['evt_2', 'evt_3'] })
      assert.deepEqual(handedBack(swept), ['evt_2 → 1'])
      assert.deepEqual(await fanOut.run({ events: [second, invoice] }), [])

      assert.deepEqual(await attemptsWritten(database), ['evt_1 → 1', 'evt_2 → 1', 'evt_3 → 2'])
      const [queued] = await database.db.from('exo_deliveries').where('event_id', 'evt_3')
      const jobs = await invoices.getJobs(['waiting', 'delayed'])
      assert.deepEqual(
        jobs.map(({ id, data }) => ({ id, deliveryIds: data.deliveryIds })),
        [{ id: queued.job_id, deliveryIds: [queued.id] }],
        'no job for the attempts the second run did not write'
      )
    })

    test('two workers fanning out the same event at once write its attempts once', async ({
      assert,
      cleanup,
    }) => {
      const { fanOut, otherWorker } = await fanOutOf(database, cleanup)
      await addUsers(database)
      await addSubscription(database, 1, { user_id: 1 })
      await addSubscription(database, 3, { user_id: ADMIN })
      const event = eventRecord({ id: 'evt_1', ownerId: '1' })
      await addEvent(database, event)

      const [original, swept] = await Promise.all([
        fanOut.run({ events: [event] }),
        otherWorker().run({ eventIds: ['evt_1'] }),
      ])

      assert.sameMembers(handedBack([...original, ...swept]), ['evt_1 → 1', 'evt_1 → 3'])
      assert.sameMembers([original.length, swept.length], [0, 2], 'one of them fanned it out')
      assert.deepEqual(await attemptsWritten(database), ['evt_1 → 1', 'evt_1 → 3'])
    })

    test('an event in two jobs of one batch is handed to the first', async ({
      assert,
      cleanup,
    }) => {
      const { fanOut } = await fanOutOf(database, cleanup)
      await addSubscription(database, 1, { user_id: 1 })
      const event = eventRecord({ id: 'evt_1', ownerId: '1' })
      await addEvent(database, event)

      // Called together, the two jobs share one run
      const [original, swept] = await Promise.all([
        fanOut.run({ events: [event] }),
        fanOut.run({ eventIds: ['evt_1'] }),
      ])

      assert.deepEqual(handedBack(original), ['evt_1 → 1'])
      assert.deepEqual(swept, [])
      assert.deepEqual(await attemptsWritten(database), ['evt_1 → 1'])
    })

    test('an outbox batch is moved into exo_events and fanned out once', async ({
      assert,
      cleanup,
    }) => {
      const { fanOut } = await fanOutOf(database, cleanup)
      await addUsers(database)
      await addSubscription(database, 1, { user_id: 1, events: '["on_create","on_update"]' })
      await addSubscription(database, 3, { user_id: ADMIN })
      const events = [
        { id: 'evt_b1', ownerId: '1', data: '{"id":1}' },
        { id: 'evt_b2', ownerId: '1', event: 'on_update' as const, data: '{"id":1,"total":2}' },
      ]
      await database.addEventBatch(events, NOW - 1000)
      const payload = { batchId: 'evt_b1', eventIds: ['evt_b1', 'evt_b2'] }

      const started = await fanOut.run(payload)

      const expected = ['evt_b1 → 1', 'evt_b1 → 3', 'evt_b2 → 1']
      assert.sameMembers(handedBack(started), expected)
      assert.deepEqual(await attemptsWritten(database), expected)
      assert.isNull(await database.row('exo_event_batches', 'evt_b1'))
      const outbox = new Outbox(database.db)
      assert.deepEqual(
        await outbox.findMany(['evt_b1', 'evt_b2']).then((found) => found.sort(byId)),
        events.map(eventRecord)
      )
      for (const { id } of events) assert.isTrue(await isDispatched(database, id), id)

      // As its job run again, or the sweeper's for the same batch
      assert.deepEqual(await fanOut.run(payload), [])
      assert.deepEqual(await attemptsWritten(database), expected)
    })

    test('events carried whole are written to the outbox when it lacks them, and fanned out', async ({
      assert,
      cleanup,
    }) => {
      const { fanOut } = await fanOutOf(database, cleanup)
      await addSubscription(database, 1, { user_id: 1 })
      const known = eventRecord({ id: 'evt_known', ownerId: '1' })
      const unknown = eventRecord({ id: 'evt_unknown', ownerId: '1', data: '{"id":2}' })
      await addEvent(database, known)

      const started = await fanOut.run({ events: [known, unknown] })

      assert.sameMembers(handedBack(started), ['evt_known → 1', 'evt_unknown → 1'])
      assert.deepEqual(await attemptsWritten(database), ['evt_known → 1', 'evt_unknown → 1'])
      const outbox = new Outbox(database.db)
      assert.deepEqual(
        await outbox.findMany(['evt_known', 'evt_unknown']).then((found) => found.sort(byId)),
        [known, unknown]
      )
      assert.isTrue(await isDispatched(database, 'evt_known'))
      assert.isTrue(await isDispatched(database, 'evt_unknown'))
    })

    test('leftOver gives the attempts a run began and never completed, and nothing once they are', async ({
      assert,
      cleanup,
    }) => {
      const { fanOut } = await fanOutOf(database, cleanup)
      await addUsers(database)
      await addSubscription(database, 1, { user_id: 1 })
      await addSubscription(database, 2, { user_id: 1, resource: 'invoices' })
      await addSubscription(database, 3, { user_id: ADMIN })
      const order = eventRecord({ id: 'evt_order', ownerId: '1' })
      await addEvent(database, order)
      await addEvent(database, { id: 'evt_invoice', resource: 'invoices', ownerId: '1' })
      const payload = { eventIds: ['evt_order', 'evt_invoice'] }
      assert.deepEqual(await fanOut.leftOver(payload), [])

      const started = await fanOut.run(payload)
      const startedIds = started.map(({ delivery }) => delivery.id)
      assert.lengthOf(startedIds, 2)
      // The invoice's attempt, begun by its delivery job, is that job's
      const [queued] = await database.db.from('exo_deliveries').where('event_id', 'evt_invoice')
      await database.db
        .from('exo_deliveries')
        .where('id', queued.id)
        .update({ started_at: database.time(NOW) })

      assert.sameMembers(await fanOut.leftOver(payload), startedIds)
      assert.sameMembers(await fanOut.leftOver({ events: [order] }), startedIds)

      const complete = (id: string) =>
        database.db
          .from('exo_deliveries')
          .where('id', id)
          .update({ status: 'success', http_status: 200, completed_at: database.time(NOW) })
      await complete(startedIds[0])
      assert.deepEqual(await fanOut.leftOver(payload), [startedIds[1]])
      await complete(startedIds[1])
      assert.deepEqual(await fanOut.leftOver(payload), [])
    })
  })
}

function byId(one: { id: string }, other: { id: string }) {
  return one.id.localeCompare(other.id)
}
