import type { Database } from '@adonisjs/lucid/database'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { LifecycleEvents } from '../lifecycle_events.js'
import { dbTime } from '../models/db_time.js'
import type { WebhookDelivery } from '../models/webhook_delivery.js'
import type { PipelineQueue, QueuedAttempt } from '../queue/pipeline_queue.js'
import type { EventRecord } from '../types.js'
import type { AttemptLog } from './attempt_log.js'
import type { DeliveryPlan } from './delivery_plan.js'
import type { SendResult } from './sender.js'

export function isSuccess(result: Pick<SendResult, 'httpStatus' | 'error'>) {
  return (
    result.error === null &&
    result.httpStatus !== null &&
    result.httpStatus >= 200 &&
    result.httpStatus < 300
  )
}

const INTERRUPTED =
  'Interrupted: the worker stopped before recording the outcome; the receiver may have got this attempt'

interface AttemptOutcome {
  retry?: QueuedAttempt & { dueAt: number }
  disabledFor?: string
  /** The attempt was no longer pending: a later run logged it as interrupted */
  stale?: boolean
}

export interface FailurePolicy {
  /** Consecutive failed attempts after which a subscription is disabled */
  autoDisableAfter: number
  /** Called once for each subscription this recorder disables */
  onDisabled(subscriptionId: number, reason: string): Promise<void>
}

/**
 * Writes what an attempt came to, keeps the subscription's counters, and
 * either schedules the next attempt of a failed one while the backoff allows
 * or disables the subscription: at once on `410 Gone`, or after
 * `autoDisableAfter` consecutive failures. Emits `exo:delivery:succeeded` or
 * `exo:delivery:failed`, then `exo:subscription:disabled`, in the worker.
 */
export class OutcomeRecorder {
  constructor(
    private db: Database,
    private attempts: AttemptLog,
    private queue: PipelineQueue,
    private policy: FailurePolicy,
    private events: LifecycleEvents
  ) {}

  /**
   * Deactivates the subscription and cancels its pending attempts. Returns
   * false when it was inactive already, so only one caller notifies.
   */
  async #disable(trx: TransactionClientContract, subscriptionId: number, reason: string) {
    const now = dbTime(trx)
    const changed = await trx
      .from('exo_subscriptions')
      .where('id', subscriptionId)
      .where('is_active', true)
      .update({ is_active: false, disabled_at: now, disabled_reason: reason, updated_at: now })
    await trx
      .from('exo_deliveries')
      .where('subscription_id', subscriptionId)
      .where('status', 'pending')
      .update({ status: 'failed', error: `Cancelled: ${reason}`, completed_at: now })
    return Number(changed) === 1
  }

  async #failureReason(trx: TransactionClientContract, subscriptionId: number, result: SendResult) {
    if (result.httpStatus === 410) return 'The receiver answered 410 Gone'
    const row = await trx
      .from('exo_subscriptions')
      .select('failure_count')
      .where('id', subscriptionId)
      .first()
    const failures = Number(row?.failure_count ?? 0)
    return failures >= this.policy.autoDisableAfter
      ? `${failures} consecutive failed attempts`
      : null
  }

  async record(
    delivery: WebhookDelivery,
    event: Pick<EventRecord, 'event' | 'resource'>,
    requestHeaders: Record<string, string>,
    result: SendResult,
    next: { plan: DeliveryPlan; retry: boolean }
  ) {
    const success = isSuccess(result)
    const error = success ? null : (result.error ?? `HTTP ${result.httpStatus}`)
    const outcome = await this.db.transaction(async (trx): Promise<AttemptOutcome> => {
      const now = dbTime(trx)
      // Still pending unless a later run logged it as interrupted meanwhile
      const completed = await trx
        .from('exo_deliveries')
        .where('id', delivery.id)
        .where('status', 'pending')
        .update({
          status: success ? 'success' : 'failed',
          http_status: result.httpStatus,
          error,
          duration_ms: result.durationMs,
          request_headers: JSON.stringify(requestHeaders),
          response_headers: result.responseHeaders ? JSON.stringify(result.responseHeaders) : null,
          response_body: result.responseBody,
          completed_at: now,
        })
      if (Number(completed) !== 1) return { stale: true }

      const subscription = trx.from('exo_subscriptions').where('id', delivery.subscriptionId)
      if (success) {
        await subscription.update({ failure_count: 0, last_delivered_at: now })
        return {}
      }
      await subscription.increment('failure_count', 1)

      const reason = await this.#failureReason(trx, delivery.subscriptionId, result)
      if (reason) {
        const disabledNow = await this.#disable(trx, delivery.subscriptionId, reason)
        return disabledNow ? { disabledFor: reason } : {}
      }
      const delay = next.retry ? next.plan.backoff.nextDelay(delivery.attempt, result) : null
      return delay === null ? {} : this.#scheduleNext(trx, delivery, next.plan.queue, delay)
    })

    if (outcome.stale) return success
    if (outcome.retry) await this.queue.enqueueAttempts([outcome.retry])

    const summary = {
      deliveryId: delivery.id,
      subscriptionId: delivery.subscriptionId,
      eventId: delivery.eventId,
      event: event.event,
      resource: event.resource,
      attempt: delivery.attempt,
      httpStatus: result.httpStatus,
      durationMs: result.durationMs,
    }
    if (error === null) {
      await this.events.emit('exo:delivery:succeeded', summary)
    } else {
      await this.events.emit('exo:delivery:failed', {
        ...summary,
        error,
        retryScheduled: outcome.retry !== undefined,
        nextAttemptAt: outcome.retry ? new Date(outcome.retry.dueAt) : null,
        subscriptionDisabled: outcome.disabledFor !== undefined,
      })
    }
    if (outcome.disabledFor) {
      const reason = outcome.disabledFor
      await this.events.emit('exo:subscription:disabled', {
        subscriptionId: delivery.subscriptionId,
        reason,
      })
      await this.policy.onDisabled(delivery.subscriptionId, reason)
    }
    return success
  }

  async #scheduleNext(
    trx: TransactionClientContract,
    delivery: WebhookDelivery,
    queue: string,
    delay: number
  ): Promise<AttemptOutcome> {
    const next = {
      subscriptionId: delivery.subscriptionId,
      eventId: delivery.eventId,
      attempt: delivery.attempt + 1,
      dueAt: Date.now() + delay,
    }
    const [id] = await this.attempts.schedule([next], trx)
    return { retry: { id, queue, delay, dueAt: next.dueAt } }
  }

  /**
   * Logs an attempt whose run was cut short after it began sending, and sends
   * the next one at once while the schedule has attempts left. The receiver
   * is not to blame, so the failure count is left alone.
   */
  async interrupted(delivery: WebhookDelivery, plan: DeliveryPlan) {
    const outcome = await this.db.transaction(async (trx): Promise<AttemptOutcome> => {
      const changed = await trx
        .from('exo_deliveries')
        .where('id', delivery.id)
        .where('status', 'pending')
        .update({ status: 'failed', error: INTERRUPTED, completed_at: dbTime(trx) })
      const hasNext = plan.backoff.nextDelay(delivery.attempt) !== null
      return Number(changed) === 1 && hasNext
        ? this.#scheduleNext(trx, delivery, plan.queue, 0)
        : {}
    })
    if (outcome.retry) await this.queue.enqueueAttempts([outcome.retry])
  }

  /**
   * Closes an attempt that will not be sent, without counting it as a failure.
   */
  async cancel(deliveryId: string, reason: string) {
    await this.db
      .from('exo_deliveries')
      .where('id', deliveryId)
      .where('status', 'pending')
      .update({ status: 'failed', error: reason, completed_at: dbTime(this.db.connection()) })
  }
}
