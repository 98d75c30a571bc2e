import type { Database } from '@adonisjs/lucid/database'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { systemClock, type Clock } from '../clock.js'
import { Batcher, CHARS_PER_STATEMENT, groupBy } from '../batcher.js'
import type { AttemptSummary, LifecycleEvents } from '../lifecycle_events.js'
import { dbTime } from '../models/db_time.js'
import { retryingDeadlocks } from '../models/deadlocks.js'
import type { DeliveryJob, PipelineQueue } from '../queue/pipeline_queue.js'
import type { OutcomeLabel } from '../telemetry/attributes.js'
import { pipelineMetrics } from '../telemetry/metrics.js'
import { carryingTraces } from '../telemetry/trace_context.js'
import type { EventRecord } from '../types.js'
import type { AttemptLog, AttemptRow } from '../delivery/attempt_log.js'
import type { DeliveryPlan } from '../delivery/delivery_plan.js'
import type { SendResult } from '../delivery/sender.js'
import { completeSuccesses } from './successes.js'

export function isSuccess(result: Pick<SendResult, 'httpStatus' | 'error'>) {
  return (
    result.error === null &&
    result.httpStatus !== null &&
    result.httpStatus >= 200 &&
    result.httpStatus < 300
  )
}

/** How an attempt that got this result ends */
export function outcomeOf(result: SendResult): OutcomeLabel {
  if (result.interrupted) return 'interrupted'
  return isSuccess(result) ? 'success' : 'failed'
}

const INTERRUPTED =
  'Interrupted: the worker stopped before recording the outcome; the receiver may have got this attempt'

interface Success {
  delivery: AttemptRow
  requestHeaders: Record<string, string>
  result: SendResult
}

/** What the receiver's answer adds to the statement that logs it */
function responseLength({ responseBody, responseHeaders }: SendResult) {
  let length = responseBody?.length ?? 0
  for (const [name, value] of Object.entries(responseHeaders ?? {})) {
    length += name.length + value.length
  }
  return length
}

function summarize(
  delivery: AttemptRow,
  event: Pick<EventRecord, 'event' | 'resource'>,
  result: SendResult
): AttemptSummary {
  return {
    deliveryId: delivery.id,
    subscriptionId: delivery.subscriptionId,
    eventId: delivery.eventId,
    event: event.event,
    resource: event.resource,
    attempt: delivery.attempt,
    httpStatus: result.httpStatus,
    durationMs: result.durationMs,
  }
}

/** What follows a failed attempt: its plan, and whether a next attempt may be scheduled */
interface NextAttempt {
  plan: DeliveryPlan
  retry: boolean
}

interface AttemptOutcome {
  retry?: DeliveryJob & { dueAt: number }
  disabledFor?: string
  /** The failure count that just reached the warning threshold */
  failing?: number
  /** Pending attempts of the subscription closed as it was disabled */
  cancelled?: number
  /** The attempt was no longer pending: a later run logged it as interrupted */
  stale?: boolean
}

export interface FailurePolicy {
  /** Consecutive failed attempts after which a subscription is disabled */
  autoDisableAfter: number
  /** Called as soon as a subscription this recorder disables is committed as inactive */
  onDeactivated(subscriptionId: number): Promise<void>
  /** Called once for each subscription this recorder disables, after its events */
  onDisabled(subscriptionId: number, reason: string): Promise<void>
  /** Called once per failure streak that reaches the warning threshold, after its events */
  onFailing(subscriptionId: number, failureCount: number): Promise<void>
}

/**
 * The consecutive failures at which the owner is warned: half of
 * `autoDisableAfter`, rounded up; none when one failure disables.
 */
export function warningThreshold(autoDisableAfter: number): number | null {
  return autoDisableAfter > 1 ? Math.ceil(autoDisableAfter / 2) : null
}

/**
 * Writes what an attempt came to, keeps the subscription's counters, and
 * either schedules the next attempt of a failed one while the backoff allows
 * or disables the subscription: at once on `410 Gone`, or after
 * `autoDisableAfter` consecutive failures, having warned its owner at half of
 * them. Emits `exo:delivery:succeeded` or `exo:delivery:failed`, then
 * `exo:subscription:disabled` or `exo:subscription:failing`, in the worker.
 * Successes that arrive together are written together.
 */
export class OutcomeRecorder {
  #successes = new Batcher<Success, boolean>((successes) => this.#recordSuccesses(successes), {
    concurrency: 4,
    maxSize: 400,
    weight: { max: CHARS_PER_STATEMENT, of: ({ result }) => responseLength(result) },
    // Nobody waits on these writes but the job, which is over once they are done:
    // a steady stream of deliveries shares its commits
    minIntervalMs: 20,
  })

  constructor(
    private db: Database,
    private attempts: AttemptLog,
    private queue: PipelineQueue,
    private policy: FailurePolicy,
    private events: LifecycleEvents,
    private clock: Clock = systemClock
  ) {}

  /**
   * Deactivates the subscription and cancels its pending attempts. Tells
   * whether this call deactivated it (not when it was inactive already, so
   * only one caller notifies) and how many attempts it cancelled.
   */
  async #disable(trx: TransactionClientContract, subscriptionId: number, reason: string) {
    const now = dbTime(trx, this.clock.now())
    const changed = await trx
      .from('exo_subscriptions')
      .where('id', subscriptionId)
      .where('is_active', true)
      .update({ is_active: false, disabled_at: now, disabled_reason: reason, updated_at: now })
    const cancelled = await trx
      .from('exo_deliveries')
      .where('subscription_id', subscriptionId)
      .where('status', 'pending')
      .update({ status: 'failed', error: `Cancelled: ${reason}`, completed_at: now })
    return { disabled: Number(changed) === 1, cancelled: Number(cancelled) }
  }

  /**
   * What the failure just counted comes to: the reason to disable the
   * subscription, or the count when it has just reached the warning
   * threshold. This transaction incremented the count and holds the row
   * until it commits, so concurrent failures each read a count of their
   * own, and only one of a streak reads the threshold; a success or a
   * re-enable resets the count, which arms the warning again.
   */
  async #verdict(
    trx: TransactionClientContract,
    subscriptionId: number,
    result: SendResult
  ): Promise<{ disableFor?: string; failing?: number }> {
    if (result.httpStatus === 410) return { disableFor: 'The receiver answered 410 Gone' }
    const row = await trx
      .from('exo_subscriptions')
      .select('failure_count', 'is_active')
      .where('id', subscriptionId)
      .first()
    const failures = Number(row?.failure_count ?? 0)
    if (failures >= this.policy.autoDisableAfter) {
      return { disableFor: `${failures} consecutive failed attempts` }
    }
    const warn =
      Boolean(row?.is_active) && failures === warningThreshold(this.policy.autoDisableAfter)
    return warn ? { failing: failures } : {}
  }

  /**
   * Logs a failed attempt and counts it against its subscription, then
   * either disables the subscription or plans the next attempt.
   */
  async #logFailure(
    trx: TransactionClientContract,
    failure: {
      delivery: AttemptRow
      requestHeaders: Record<string, string>
      result: SendResult
      error: string
    },
    next: NextAttempt
  ): Promise<AttemptOutcome> {
    const { delivery, requestHeaders, result, error } = failure
    // Still pending unless a later run logged it as interrupted meanwhile
    const completed = await trx
      .from('exo_deliveries')
      .where('id', delivery.id)
      .where('status', 'pending')
      .update({
        status: 'failed',
        http_status: result.httpStatus,
        error,
        duration_ms: result.durationMs,
        request_headers: JSON.stringify(requestHeaders),
        response_headers: result.responseHeaders ? JSON.stringify(result.responseHeaders) : null,
        response_body: result.responseBody,
        completed_at: dbTime(trx, this.clock.now()),
      })
    if (Number(completed) !== 1) return { stale: true }

    await trx
      .from('exo_subscriptions')
      .where('id', delivery.subscriptionId)
      .increment('failure_count', 1)
    const { disableFor, failing } = await this.#verdict(trx, delivery.subscriptionId, result)
    if (disableFor) {
      const { disabled, cancelled } = await this.#disable(trx, delivery.subscriptionId, disableFor)
      return disabled ? { disabledFor: disableFor, cancelled } : { cancelled }
    }
    const delay = next.retry ? next.plan.backoff.nextDelay(delivery.attempt, result) : null
    const scheduled =
      delay === null ? {} : await this.#scheduleNext(trx, delivery, next.plan.queue, delay)
    return { ...scheduled, failing }
  }

  async record(
    delivery: AttemptRow,
    event: Pick<EventRecord, 'id' | 'event' | 'resource' | 'occurredAt' | 'trace'>,
    requestHeaders: Record<string, string>,
    result: SendResult,
    next: NextAttempt
  ) {
    if (isSuccess(result)) {
      const receivedAt = this.clock.now()
      const recorded = await this.#successes.add({ delivery, requestHeaders, result })
      if (recorded) {
        pipelineMetrics.attemptsCompleted('success', event.resource, result)
        pipelineMetrics.delivered(event, receivedAt)
        await this.events.emit('exo:delivery:succeeded', summarize(delivery, event, result))
      }
      return true
    }
    const error = result.error ?? `HTTP ${result.httpStatus}`
    const outcome = await retryingDeadlocks(() =>
      this.db.transaction((trx) =>
        this.#logFailure(trx, { delivery, requestHeaders, result, error }, next)
      )
    )

    if (outcome.stale) return false
    pipelineMetrics.attemptsCompleted('failed', event.resource, result)
    if (outcome.cancelled) {
      pipelineMetrics.attemptsCompleted('cancelled', event.resource, undefined, outcome.cancelled)
    }
    if (outcome.disabledFor) await this.policy.onDeactivated(delivery.subscriptionId)
    if (outcome.retry) await this.#enqueueNext(outcome.retry, event)

    await this.events.emit('exo:delivery:failed', {
      ...summarize(delivery, event, result),
      error,
      retryScheduled: outcome.retry !== undefined,
      nextAttemptAt: outcome.retry ? new Date(outcome.retry.dueAt) : null,
      subscriptionDisabled: outcome.disabledFor !== undefined,
    })
    if (outcome.disabledFor) {
      const reason = outcome.disabledFor
      await this.events.emit('exo:subscription:disabled', {
        subscriptionId: delivery.subscriptionId,
        reason,
      })
      await this.policy.onDisabled(delivery.subscriptionId, reason)
    }
    if (outcome.failing !== undefined) {
      await this.events.emit('exo:subscription:failing', {
        subscriptionId: delivery.subscriptionId,
        failureCount: outcome.failing,
        autoDisableAfter: this.policy.autoDisableAfter,
      })
      await this.policy.onFailing(delivery.subscriptionId, outcome.failing)
    }
    return false
  }

  /**
   * Completes successful attempts together, those still pending: one that a
   * later run logged as interrupted meanwhile stays as logged. Resolves, for
   * each, whether it was recorded.
   */
  async #recordSuccesses(successes: Success[]): Promise<boolean[]> {
    const completed = await completeSuccesses(
      this.db.connection(),
      successes.map(({ delivery, requestHeaders, result }) => ({
        id: delivery.id,
        http_status: result.httpStatus!,
        duration_ms: result.durationMs,
        request_headers: JSON.stringify(requestHeaders),
        // A 2xx came with its headers and a body, if only an empty one
        response_headers: JSON.stringify(result.responseHeaders),
        response_body: result.responseBody ?? '',
      })),
      this.clock.now()
    )
    return successes.map((success) => completed.has(success.delivery.id))
  }

  async #scheduleNext(
    trx: TransactionClientContract,
    delivery: AttemptRow,
    queue: string,
    delay: number
  ): Promise<AttemptOutcome> {
    const [job] = await this.attempts.schedule(
      [
        {
          subscriptionId: delivery.subscriptionId,
          eventId: delivery.eventId,
          attempt: delivery.attempt + 1,
          queue,
          delay,
        },
      ],
      trx
    )
    return { retry: { ...job, dueAt: this.clock.now() + delay } }
  }

  /**
   * Logs an attempt whose run was cut short after it began sending, and sends
   * the next one at once. The receiver is not to blame, so the failure count
   * is left alone and an attempt of the schedule, even its last, always has a
   * next one; beyond the schedule, none, so a run that always breaks ends.
   */
  async interrupted(
    delivery: AttemptRow,
    event: Pick<EventRecord, 'id' | 'resource' | 'trace'>,
    plan: DeliveryPlan
  ) {
    const withinSchedule = plan.backoff.nextDelay(delivery.attempt - 1) !== null
    const outcome = await retryingDeadlocks(() =>
      this.db.transaction(async (trx): Promise<AttemptOutcome> => {
        const changed = await trx
          .from('exo_deliveries')
          .where('id', delivery.id)
          .where('status', 'pending')
          .update({
            status: 'failed',
            error: INTERRUPTED,
            completed_at: dbTime(trx, this.clock.now()),
          })
        if (Number(changed) !== 1) return { stale: true }
        return withinSchedule ? this.#scheduleNext(trx, delivery, plan.queue, 0) : {}
      })
    )
    if (!outcome.stale) pipelineMetrics.attemptsCompleted('interrupted', event.resource)
    if (outcome.retry) await this.#enqueueNext(outcome.retry, event)
  }

  /** Queues the next attempt, in the trace of its event */
  async #enqueueNext(job: DeliveryJob, event: Pick<EventRecord, 'id' | 'trace'>) {
    await this.queue.enqueueDeliveries([carryingTraces(job, [event])])
  }

  /**
   * Closes attempts that will not be sent, without counting them as failures
   * of their subscriptions.
   */
  async cancel(attempts: { id: string; resource: string }[], reason: string) {
    for (const [resource, group] of groupBy(attempts, (attempt) => attempt.resource)) {
      const cancelled = await this.db
        .from('exo_deliveries')
        .whereIn(
          'id',
          group.map((attempt) => attempt.id)
        )
        .where('status', 'pending')
        .update({
          status: 'failed',
          error: reason,
          completed_at: dbTime(this.db.connection(), this.clock.now()),
        })
      pipelineMetrics.attemptsCompleted('cancelled', resource, undefined, Number(cancelled))
    }
  }
}
