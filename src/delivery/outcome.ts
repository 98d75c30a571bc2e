import type { Database } from '@adonisjs/lucid/database'
import { dbTime } from '../models/db_time.js'
import type { WebhookDelivery } from '../models/webhook_delivery.js'
import type { PipelineQueue } from '../queue/pipeline_queue.js'
import type { AttemptLog } from './attempt_log.js'
import type { BackoffStrategy } from './schedule.js'
import type { SendResult } from './sender.js'

export function isSuccess(result: Pick<SendResult, 'httpStatus' | 'error'>) {
  return (
    result.error === null &&
    result.httpStatus !== null &&
    result.httpStatus >= 200 &&
    result.httpStatus < 300
  )
}

/**
 * Writes what an attempt came to, keeps the subscription's counters, and
 * schedules the next attempt of a failed one while the backoff allows.
 */
export class OutcomeRecorder {
  constructor(
    private db: Database,
    private attempts: AttemptLog,
    private backoff: BackoffStrategy,
    private queue: PipelineQueue
  ) {}

  async record(
    delivery: WebhookDelivery,
    requestHeaders: Record<string, string>,
    result: SendResult,
    next: { queue: string; retry: boolean }
  ) {
    const success = isSuccess(result)
    const delay = success || !next.retry ? null : this.backoff.nextDelay(delivery.attempt)

    const nextIds = await this.db.transaction(async (trx) => {
      const now = dbTime(trx)
      await trx
        .from('exo_deliveries')
        .where('id', delivery.id)
        .update({
          status: success ? 'success' : 'failed',
          http_status: result.httpStatus,
          error: result.error ?? (success ? null : `HTTP ${result.httpStatus}`),
          duration_ms: result.durationMs,
          request_headers: JSON.stringify(requestHeaders),
          response_headers: result.responseHeaders ? JSON.stringify(result.responseHeaders) : null,
          response_body: result.responseBody,
          completed_at: now,
        })

      const subscription = trx.from('exo_subscriptions').where('id', delivery.subscriptionId)
      if (success) {
        await subscription.update({ failure_count: 0, last_delivered_at: now })
      } else {
        await subscription.increment('failure_count', 1)
      }

      if (delay === null) return []
      return this.attempts.schedule(
        [
          {
            subscriptionId: delivery.subscriptionId,
            eventId: delivery.eventId,
            attempt: delivery.attempt + 1,
            dueAt: Date.now() + delay,
          },
        ],
        trx
      )
    })

    await this.queue.enqueueAttempts(
      nextIds.map((id) => ({ id, queue: next.queue, delay: delay! }))
    )
    return success
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
