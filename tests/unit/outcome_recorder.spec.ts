import { test } from '@japa/runner'
import type { TestContext } from '@japa/runner/core'
import { AttemptLog, type AttemptRow } from '../../src/delivery/attempt_log.js'
import type { DeliveryPlan } from '../../src/delivery/delivery_plan.js'
import type { SendResult } from '../../src/delivery/sender.js'
import { LifecycleEvents, type ExoEventsList } from '../../src/lifecycle_events.js'
import { OutcomeRecorder, warningThreshold } from '../../src/outcome/outcome_recorder.js'
import { ScheduleBackoff } from '../../src/outcome/schedule.js'
import { DELIVER_JOB, namespacedQueue, PipelineQueue } from '../../src/queue/pipeline_queue.js'
import {
  appEmitter,
  databaseOfGroup,
  dialects,
  millisOf,
  silentLogger,
  type TestDatabase,
} from './helpers/database.js'
import { inspectedQueue, redisConnection, uniqueName } from './helpers/redis.js'

type Cleanup = TestContext['cleanup']

/** The recorder's time, a whole second: MariaDB and SQLite store seconds */
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0)

/** Three attempts: at once, a minute after the first, five minutes after the second */
const STEPS = [0, 60_000, 300_000]

/** Without jitter, so that the next attempt's time is exact */
const plan: DeliveryPlan = { queue: 'hooks', backoff: new ScheduleBackoff(STEPS, () => 0) }

/** The event of the attempts, recorded a second before they are sent */
const event = {
  id: 'evt_1',
  event: 'on_create' as const,
  resource: 'orders',
  occurredAt: new Date(NOW - 1000).toISOString(),
}
const requestHeaders = { 'content-type': 'application/json', 'webhook-id': 'msg_1' }

const ok: SendResult = {
  httpStatus: 200,
  responseHeaders: { 'content-type': 'text/plain' },
  responseBody: 'thanks',
  error: null,
  durationMs: 42,
}
const serverError: SendResult = {
  httpStatus: 500,
  responseHeaders: { 'content-type': 'text/plain' },
  responseBody: 'oops',
  error: null,
  durationMs: 17,
}
const refused: SendResult = {
  httpStatus: null,
  responseHeaders: null,
  responseBody: null,
  error: 'ECONNREFUSED',
  durationMs: 3,
}
const gone: SendResult = { ...serverError, httpStatus: 410, responseBody: 'gone' }

/** An attempt at subscription 1 as the deliverer hands it over; the first of evt_1 unless told */
function attempt(id: string, { number = 1, eventId = 'evt_1' } = {}): AttemptRow {
  return { id, subscriptionId: 1, eventId, attempt: number }
}

/** The next attempt of a failed one, as a delivery by the schedule has it */
const retrying = { plan, retry: true }

/**
 * A recorder on the group's database and a Redis namespace of the test's
 * own, with what it emits and what it tells its failure policy, in order,
 * in `timeline`.
 */
function recorderOf(database: TestDatabase, cleanup: Cleanup, autoDisableAfter = 3) {
  const namespace = uniqueName('recorder', cleanup)
  const queue = new PipelineQueue(redisConnection, { name: namespace, identity: 'shop' })
  cleanup(() => queue.close())

  const timeline: string[] = []
  const emitted: { name: keyof ExoEventsList; payload: unknown }[] = []
  const emitter = appEmitter()
  for (const name of [
    'exo:delivery:succeeded',
    'exo:delivery:failed',
    'exo:subscription:disabled',
    'exo:subscription:failing',
  ] as const) {
    emitter.on(name, (payload) => {
      timeline.push(name)
      emitted.push({ name, payload })
    })
  }
  const policy = {
    autoDisableAfter,
    onDeactivated: async (subscriptionId: number) =>
      void timeline.push(`deactivated ${subscriptionId}`),
    onDisabled: async (subscriptionId: number, reason: string) =>
      void timeline.push(`disabled ${subscriptionId}: ${reason}`),
    onFailing: async (subscriptionId: number, failureCount: number) =>
      void timeline.push(`failing ${subscriptionId}: ${failureCount}`),
  }

  const clock = { now: () => NOW }
  const recorder = new OutcomeRecorder(
    database.db,
    new AttemptLog(clock),
    queue,
    policy,
    new LifecycleEvents(emitter, silentLogger),
    clock
  )
  const onRedis = inspectedQueue(namespacedQueue(namespace, 'hooks'), cleanup)
  return { recorder, timeline, emitted, onRedis }
}

/** Subscription 1, active, with `failureCount` failures so far; event evt_1 */
async function subscriptionWithEvent(database: TestDatabase, failureCount = 0) {
  await database.addSubscription(1, { failure_count: failureCount })
  await database.addEvent({ id: 'evt_1' }, NOW - 120_000, NOW - 119_000)
}

/** The attempts of evt_1 after `number` */
function attemptsAfter(database: TestDatabase, number: number) {
  return database.db.from('exo_deliveries').where('event_id', 'evt_1').where('attempt', '>', number)
}

test('the warning threshold is half of autoDisableAfter, rounded up, and none at 1', ({
  assert,
}) => {
  assert.deepEqual([1, 2, 3, 4, 5, 20].map(warningThreshold), [null, 1, 2, 2, 3, 10])
})

for (const dialect of dialects) {
  test.group(`Outcome recorder | ${dialect}`, (group) => {
    group.each.timeout(10_000)
    const database = databaseOfGroup(group, dialect)

    test('a 2xx completes the attempt, clears the failure count and emits its success', async ({
      assert,
      cleanup,
    }) => {
      const { recorder, emitted, onRedis } = recorderOf(database, cleanup)
      await subscriptionWithEvent(database, 2)
      await database.addAttempt(attempt('dlv_1', { number: 2 }), NOW - 5000)

      assert.isTrue(
        await recorder.record(attempt('dlv_1', { number: 2 }), event, requestHeaders, ok, retrying)
      )

      const row = (await database.row('exo_deliveries', 'dlv_1'))!
      assert.equal(row.status, 'success')
      assert.equal(row.http_status, 200)
      assert.equal(row.duration_ms, 42)
      assert.isNull(row.error)
      assert.deepEqual(JSON.parse(row.request_headers), requestHeaders)
      assert.deepEqual(JSON.parse(row.response_headers), ok.responseHeaders)
      assert.equal(row.response_body, 'thanks')
      assert.equal(millisOf(row.completed_at), NOW)
      const subscription = (await database.row('exo_subscriptions', 1))!
      assert.equal(subscription.failure_count, 0)
      assert.equal(millisOf(subscription.last_delivered_at), NOW)
      assert.lengthOf(await attemptsAfter(database, 2), 0)
      assert.equal(await onRedis.count(), 0)
      assert.deepEqual(emitted, [
        {
          name: 'exo:delivery:succeeded',
          payload: {
            deliveryId: 'dlv_1',
            subscriptionId: 1,
            eventId: 'evt_1',
            event: 'on_create',
            resource: 'orders',
            attempt: 2,
            httpStatus: 200,
            durationMs: 42,
          },
        },
      ])
    })

    test('a 500 fails the attempt, counts it and schedules the next one after its backoff', async ({
      assert,
      cleanup,
    }) => {
      const { recorder, emitted, onRedis } = recorderOf(database, cleanup)
      await subscriptionWithEvent(database)
      await database.addAttempt(attempt('dlv_1'), NOW - 5000)

      assert.isFalse(
        await recorder.record(attempt('dlv_1'), event, requestHeaders, serverError, retrying)
      )

      const row = (await database.row('exo_deliveries', 'dlv_1'))!
      assert.equal(row.status, 'failed')
      assert.equal(row.http_status, 500)
      assert.equal(row.error, 'HTTP 500')
      assert.equal(row.duration_ms, 17)
      assert.equal(row.response_body, 'oops')
      assert.deepEqual(JSON.parse(row.request_headers), requestHeaders)
      assert.equal(millisOf(row.completed_at), NOW)
      const subscription = (await database.row('exo_subscriptions', 1))!
      assert.equal(subscription.failure_count, 1)
      assert.isTrue(Boolean(subscription.is_active))

      const [second, ...others] = await attemptsAfter(database, 1)
      assert.lengthOf(others, 0)
      assert.equal(second.attempt, 2)
      assert.equal(second.status, 'pending')
      assert.equal(second.subscription_id, 1)
      assert.equal(second.job_id, second.id)
      assert.equal(millisOf(second.scheduled_at), NOW + 60_000)
      const job = (await onRedis.getJob(second.id))!
      assert.equal(job.name, DELIVER_JOB)
      assert.deepEqual(job.data, { app: 'shop', deliveryIds: [second.id] })
      assert.equal(job.delay, 60_000)
      assert.equal(await job.getState(), 'delayed')
      assert.equal(await onRedis.count(), 1)

      assert.deepEqual(emitted, [
        {
          name: 'exo:delivery:failed',
          payload: {
            deliveryId: 'dlv_1',
            subscriptionId: 1,
            eventId: 'evt_1',
            event: 'on_create',
            resource: 'orders',
            attempt: 1,
            httpStatus: 500,
            durationMs: 17,
            error: 'HTTP 500',
            retryScheduled: true,
            nextAttemptAt: new Date(NOW + 60_000),
            subscriptionDisabled: false,
          },
        },
      ])
    })

    test('a network error is a failure without a status, retried on the schedule', async ({
      assert,
      cleanup,
    }) => {
      // Its second failure in a row stays below the warning threshold (3 of 5)
      const { recorder, emitted, onRedis } = recorderOf(database, cleanup, 5)
      await subscriptionWithEvent(database, 1)
      await database.addAttempt(attempt('dlv_2', { number: 2 }), NOW - 5000)

      await recorder.record(
        attempt('dlv_2', { number: 2 }),
        event,
        requestHeaders,
        refused,
        retrying
      )

      const row = (await database.row('exo_deliveries', 'dlv_2'))!
      assert.equal(row.status, 'failed')
      assert.isNull(row.http_status)
      assert.equal(row.error, 'ECONNREFUSED')
      assert.isNull(row.response_headers)
      assert.isNull(row.response_body)
      assert.equal((await database.row('exo_subscriptions', 1))!.failure_count, 2)
      const [third] = await attemptsAfter(database, 2)
      assert.equal(third.attempt, 3)
      assert.equal(millisOf(third.scheduled_at), NOW + 300_000)
      assert.equal((await onRedis.getJob(third.id))!.delay, 300_000)
      assert.lengthOf(emitted, 1)
      assert.containsSubset(emitted[0], {
        name: 'exo:delivery:failed',
        payload: {
          httpStatus: null,
          error: 'ECONNREFUSED',
          retryScheduled: true,
          nextAttemptAt: new Date(NOW + 300_000),
        },
      })
    })

    test('the last attempt of the schedule fails without a next one', async ({
      assert,
      cleanup,
    }) => {
      const { recorder, emitted, onRedis } = recorderOf(database, cleanup)
      await subscriptionWithEvent(database)
      await database.addAttempt(attempt('dlv_3', { number: 3 }), NOW - 5000)

      await recorder.record(
        attempt('dlv_3', { number: 3 }),
        event,
        requestHeaders,
        serverError,
        retrying
      )

      assert.equal((await database.row('exo_deliveries', 'dlv_3'))!.status, 'failed')
      assert.equal((await database.row('exo_subscriptions', 1))!.failure_count, 1)
      assert.lengthOf(await attemptsAfter(database, 3), 0)
      assert.equal(await onRedis.count(), 0)
      assert.containsSubset(emitted, [
        { name: 'exo:delivery:failed', payload: { retryScheduled: false, nextAttemptAt: null } },
      ])
    })

    test('a failure not to be retried (a test send) schedules nothing', async ({
      assert,
      cleanup,
    }) => {
      const { recorder, onRedis } = recorderOf(database, cleanup)
      await subscriptionWithEvent(database)
      await database.addAttempt(attempt('dlv_1'), NOW - 5000)

      await recorder.record(attempt('dlv_1'), event, requestHeaders, serverError, {
        plan,
        retry: false,
      })

      assert.equal((await database.row('exo_deliveries', 'dlv_1'))!.status, 'failed')
      assert.equal((await database.row('exo_subscriptions', 1))!.failure_count, 1)
      assert.lengthOf(await attemptsAfter(database, 1), 0)
      assert.equal(await onRedis.count(), 0)
    })

    test('the failure reaching autoDisableAfter disables the subscription and cancels its pending attempts', async ({
      assert,
      cleanup,
    }) => {
      const { recorder, timeline, emitted, onRedis } = recorderOf(database, cleanup, 3)
      await subscriptionWithEvent(database, 2)
      await database.addSubscription(2)
      await database.addAttempt(attempt('dlv_1'), NOW - 5000)
      await database.addAttempt(attempt('dlv_later', { eventId: 'evt_2' }), NOW + 60_000)
      await database.addAttempt(attempt('dlv_done', { eventId: 'evt_0' }), NOW - 60_000, {
        status: 'success',
        http_status: 200,
      })
      await database.addAttempt({ id: 'dlv_elsewhere', subscriptionId: 2, eventId: 'evt_1' }, NOW)

      await recorder.record(attempt('dlv_1'), event, requestHeaders, serverError, retrying)

      const reason = '3 consecutive failed attempts'
      const subscription = (await database.row('exo_subscriptions', 1))!
      assert.isFalse(Boolean(subscription.is_active))
      assert.equal(subscription.disabled_reason, reason)
      assert.equal(millisOf(subscription.disabled_at), NOW)
      assert.equal(subscription.failure_count, 3)
      assert.isTrue(Boolean((await database.row('exo_subscriptions', 2))!.is_active))

      const failed = (await database.row('exo_deliveries', 'dlv_1'))!
      assert.equal(failed.error, 'HTTP 500', 'the attempt that failed keeps its own error')
      const cancelled = (await database.row('exo_deliveries', 'dlv_later'))!
      assert.equal(cancelled.status, 'failed')
      assert.equal(cancelled.error, `Cancelled: ${reason}`)
      assert.equal(millisOf(cancelled.completed_at), NOW)
      assert.equal((await database.row('exo_deliveries', 'dlv_done'))!.status, 'success')
      assert.equal((await database.row('exo_deliveries', 'dlv_elsewhere'))!.status, 'pending')
      assert.lengthOf(await attemptsAfter(database, 1), 0)
      assert.equal(await onRedis.count(), 0)

      assert.deepEqual(timeline, [
        'deactivated 1',
        'exo:delivery:failed',
        'exo:subscription:disabled',
        `disabled 1: ${reason}`,
      ])
      assert.containsSubset(emitted, [
        {
          name: 'exo:delivery:failed',
          payload: { subscriptionDisabled: true, retryScheduled: false, nextAttemptAt: null },
        },
        { name: 'exo:subscription:disabled', payload: { subscriptionId: 1, reason } },
      ])
    })

    test('a 410 Gone disables the subscription at its first failure', async ({
      assert,
      cleanup,
    }) => {
      const { recorder, timeline, onRedis } = recorderOf(database, cleanup, 3)
      await subscriptionWithEvent(database)
      await database.addAttempt(attempt('dlv_1'), NOW - 5000)

      await recorder.record(attempt('dlv_1'), event, requestHeaders, gone, retrying)

      const reason = 'The receiver answered 410 Gone'
      const subscription = (await database.row('exo_subscriptions', 1))!
      assert.isFalse(Boolean(subscription.is_active))
      assert.equal(subscription.disabled_reason, reason)
      assert.equal((await database.row('exo_deliveries', 'dlv_1'))!.error, 'HTTP 410')
      assert.lengthOf(await attemptsAfter(database, 1), 0)
      assert.equal(await onRedis.count(), 0)
      assert.deepEqual(timeline, [
        'deactivated 1',
        'exo:delivery:failed',
        'exo:subscription:disabled',
        `disabled 1: ${reason}`,
      ])
    })

    test('a failure reaching the threshold of a subscription disabled already notifies no one again', async ({
      assert,
      cleanup,
    }) => {
      const { recorder, timeline, onRedis } = recorderOf(database, cleanup, 3)
      await subscriptionWithEvent(database, 2)
      await database.db
        .from('exo_subscriptions')
        .where('id', 1)
        .update({ is_active: false, disabled_reason: 'Paused by its owner' })
      await database.addAttempt(attempt('dlv_1'), NOW - 5000)

      await recorder.record(attempt('dlv_1'), event, requestHeaders, serverError, retrying)

      const subscription = (await database.row('exo_subscriptions', 1))!
      assert.equal(subscription.disabled_reason, 'Paused by its owner')
      assert.equal(subscription.failure_count, 3)
      assert.equal((await database.row('exo_deliveries', 'dlv_1'))!.status, 'failed')
      assert.lengthOf(await attemptsAfter(database, 1), 0)
      assert.equal(await onRedis.count(), 0)
      assert.deepEqual(timeline, ['exo:delivery:failed'])
    })

    test('two failures crossing the threshold together disable the subscription once', async ({
      assert,
      cleanup,
    }) => {
      const { recorder, timeline, onRedis } = recorderOf(database, cleanup, 2)
      await subscriptionWithEvent(database, 1)
      await database.addAttempt(attempt('dlv_a'), NOW - 5000)
      await database.addAttempt(attempt('dlv_b', { eventId: 'evt_2' }), NOW - 5000)

      await Promise.all([
        recorder.record(attempt('dlv_a'), event, requestHeaders, serverError, retrying),
        recorder.record(
          attempt('dlv_b', { eventId: 'evt_2' }),
          event,
          requestHeaders,
          serverError,
          retrying
        ),
      ])

      assert.isFalse(Boolean((await database.row('exo_subscriptions', 1))!.is_active))
      const pending = await database.db.from('exo_deliveries').where('status', 'pending')
      assert.lengthOf(pending, 0)
      assert.equal(await onRedis.count(), 0)
      // Whichever way the two transactions met (the other one counted too, found its
      // attempt cancelled, or was a deadlock's victim and ran again), one disabled it
      const reason = '2 consecutive failed attempts'
      assert.deepEqual(
        timeline.filter((entry) => entry !== 'exo:delivery:failed'),
        ['deactivated 1', 'exo:subscription:disabled', `disabled 1: ${reason}`]
      )
    })

    test('the failure reaching half of autoDisableAfter warns once, and a success re-arms it', async ({
      assert,
      cleanup,
    }) => {
      const { recorder, timeline, emitted } = recorderOf(database, cleanup, 4)
      await subscriptionWithEvent(database, 1)
      const fail = async (id: string) => {
        await database.addAttempt(attempt(id, { eventId: `evt_${id}` }), NOW - 5000)
        await recorder.record(
          attempt(id, { eventId: `evt_${id}` }),
          event,
          requestHeaders,
          serverError,
          retrying
        )
      }

      await fail('dlv_1')
      assert.deepEqual(timeline, [
        'exo:delivery:failed',
        'exo:subscription:failing',
        'failing 1: 2',
      ])
      assert.deepEqual(emitted.at(-1), {
        name: 'exo:subscription:failing',
        payload: { subscriptionId: 1, failureCount: 2, autoDisableAfter: 4 },
      })
      assert.isTrue(Boolean((await database.row('exo_subscriptions', 1))!.is_active))

      await fail('dlv_2')
      assert.equal((await database.row('exo_subscriptions', 1))!.failure_count, 3)
      assert.lengthOf(timeline, 4, 'the third failure of the streak warns no one')

      await database.addAttempt(attempt('dlv_ok', { eventId: 'evt_ok' }), NOW - 5000)
      await recorder.record(
        attempt('dlv_ok', { eventId: 'evt_ok' }),
        event,
        requestHeaders,
        ok,
        retrying
      )
      timeline.length = 0
      await fail('dlv_3')
      assert.deepEqual(timeline, ['exo:delivery:failed'])
      await fail('dlv_4')
      assert.deepEqual(timeline, [
        'exo:delivery:failed',
        'exo:delivery:failed',
        'exo:subscription:failing',
        'failing 1: 2',
      ])
    })

    test('failures reaching the warning threshold together warn once', async ({
      assert,
      cleanup,
    }) => {
      const { recorder, timeline } = recorderOf(database, cleanup, 6)
      await subscriptionWithEvent(database, 1)
      const ids = ['dlv_a', 'dlv_b', 'dlv_c']
      for (const id of ids) {
        await database.addAttempt(attempt(id, { eventId: `evt_${id}` }), NOW - 5000)
      }

      await Promise.all(
        ids.map((id) =>
          recorder.record(
            attempt(id, { eventId: `evt_${id}` }),
            event,
            requestHeaders,
            serverError,
            retrying
          )
        )
      )

      assert.equal((await database.row('exo_subscriptions', 1))!.failure_count, 4)
      assert.deepEqual(
        timeline.filter((entry) => entry !== 'exo:delivery:failed'),
        ['exo:subscription:failing', 'failing 1: 3']
      )
    })

    test('an inactive subscription is not warned, nor one that a single failure disables', async ({
      assert,
      cleanup,
    }) => {
      const paused = recorderOf(database, cleanup, 4)
      await subscriptionWithEvent(database, 1)
      await database.db.from('exo_subscriptions').where('id', 1).update({ is_active: false })
      await database.addAttempt(attempt('dlv_1'), NOW - 5000)
      await paused.recorder.record(attempt('dlv_1'), event, requestHeaders, serverError, retrying)
      assert.deepEqual(paused.timeline, ['exo:delivery:failed'])

      const once = recorderOf(database, cleanup, 1)
      await database.db
        .from('exo_subscriptions')
        .where('id', 1)
        .update({ is_active: true, failure_count: 0 })
      await database.addAttempt(attempt('dlv_2', { eventId: 'evt_2' }), NOW - 5000)
      await once.recorder.record(
        attempt('dlv_2', { eventId: 'evt_2' }),
        event,
        requestHeaders,
        serverError,
        retrying
      )
      assert.deepEqual(once.timeline, [
        'deactivated 1',
        'exo:delivery:failed',
        'exo:subscription:disabled',
        'disabled 1: 1 consecutive failed attempts',
      ])
    })

    test('an attempt no longer pending is left as it was logged', async ({ assert, cleanup }) => {
      const { recorder, emitted, onRedis } = recorderOf(database, cleanup)
      await subscriptionWithEvent(database, 2)
      const interrupted = {
        status: 'failed',
        error: 'Interrupted: earlier run',
        completed_at: database.time(NOW - 1000),
      }
      await database.addAttempt(attempt('dlv_1'), NOW - 5000, interrupted)
      await database.addAttempt(attempt('dlv_2', { eventId: 'evt_2' }), NOW - 5000, interrupted)
      await database.addAttempt(attempt('dlv_3', { eventId: 'evt_3' }), NOW - 5000, interrupted)

      assert.isFalse(
        await recorder.record(attempt('dlv_1'), event, requestHeaders, serverError, retrying)
      )
      await recorder.record(
        attempt('dlv_2', { eventId: 'evt_2' }),
        event,
        requestHeaders,
        ok,
        retrying
      )
      await recorder.interrupted(attempt('dlv_3', { eventId: 'evt_3' }), event, plan)

      for (const id of ['dlv_1', 'dlv_2', 'dlv_3']) {
        const row = (await database.row('exo_deliveries', id))!
        assert.equal(row.status, 'failed', id)
        assert.equal(row.error, 'Interrupted: earlier run', id)
        assert.isNull(row.http_status, id)
        assert.equal(millisOf(row.completed_at), NOW - 1000, id)
      }
      const subscription = (await database.row('exo_subscriptions', 1))!
      assert.equal(subscription.failure_count, 2, 'neither counted nor cleared')
      assert.isNull(subscription.last_delivered_at)
      const [{ total }] = await database.db.from('exo_deliveries').count('* as total')
      assert.equal(Number(total), 3)
      assert.equal(await onRedis.count(), 0)
      assert.deepEqual(emitted, [])
    })

    test('an interrupted attempt is logged as such and sent again at once, not counted', async ({
      assert,
      cleanup,
    }) => {
      const { recorder, emitted, onRedis } = recorderOf(database, cleanup)
      await subscriptionWithEvent(database, 1)
      await database.addAttempt(attempt('dlv_1'), NOW - 5000, {
        started_at: database.time(NOW - 4000),
      })

      await recorder.interrupted(attempt('dlv_1'), event, plan)

      const row = (await database.row('exo_deliveries', 'dlv_1'))!
      assert.equal(row.status, 'failed')
      assert.match(row.error, /^Interrupted: /)
      assert.isNull(row.http_status)
      assert.equal(millisOf(row.completed_at), NOW)
      assert.equal((await database.row('exo_subscriptions', 1))!.failure_count, 1)

      const [second, ...others] = await attemptsAfter(database, 1)
      assert.lengthOf(others, 0)
      assert.equal(second.attempt, 2)
      assert.equal(second.status, 'pending')
      assert.equal(millisOf(second.scheduled_at), NOW)
      const job = (await onRedis.getJob(second.id))!
      assert.deepEqual(job.data, { app: 'shop', deliveryIds: [second.id] })
      assert.equal(job.delay, 0)
      assert.equal(await job.getState(), 'waiting')
      assert.deepEqual(emitted, [])
    })

    test('the last attempt of the schedule, interrupted, has one more; the one beyond it none', async ({
      assert,
      cleanup,
    }) => {
      const { recorder, onRedis } = recorderOf(database, cleanup)
      await subscriptionWithEvent(database)
      await database.addAttempt(attempt('dlv_3', { number: 3 }), NOW - 5000)

      await recorder.interrupted(attempt('dlv_3', { number: 3 }), event, plan)
      const [fourth] = await attemptsAfter(database, 3)
      assert.equal(fourth.attempt, 4)
      assert.equal(fourth.status, 'pending')
      assert.equal(await onRedis.count(), 1)

      await recorder.interrupted(attempt(fourth.id, { number: 4 }), event, plan)
      assert.equal((await database.row('exo_deliveries', fourth.id))!.status, 'failed')
      assert.lengthOf(await attemptsAfter(database, 4), 0)
      assert.equal(await onRedis.count(), 1)
    })

    test('cancelled attempts are closed with the reason, not counted as failures', async ({
      assert,
      cleanup,
    }) => {
      const { recorder, emitted } = recorderOf(database, cleanup)
      await subscriptionWithEvent(database, 1)
      await database.addAttempt(attempt('dlv_1'), NOW + 60_000)
      await database.addAttempt(attempt('dlv_done', { eventId: 'evt_0' }), NOW - 60_000, {
        status: 'success',
      })

      await recorder.cancel(
        [
          { id: 'dlv_1', resource: 'orders' },
          { id: 'dlv_done', resource: 'orders' },
        ],
        'Cancelled: the subscription was deleted'
      )

      const cancelled = (await database.row('exo_deliveries', 'dlv_1'))!
      assert.equal(cancelled.status, 'failed')
      assert.equal(cancelled.error, 'Cancelled: the subscription was deleted')
      assert.equal(millisOf(cancelled.completed_at), NOW)
      const done = (await database.row('exo_deliveries', 'dlv_done'))!
      assert.equal(done.status, 'success')
      assert.isNull(done.error)
      assert.equal((await database.row('exo_subscriptions', 1))!.failure_count, 1)
      assert.deepEqual(emitted, [])
    })
  })
}
