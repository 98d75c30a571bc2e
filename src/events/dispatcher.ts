import type { Database } from '@adonisjs/lucid/database'
import type { AttemptLog } from '../delivery/attempt_log.js'
import type { FanOutPayload, PipelineQueue } from '../queue/pipeline_queue.js'
import type { PlanFor } from '../delivery/delivery_plan.js'
import type { Outbox } from './outbox.js'
import type { SubscriptionMatcher } from './subscription_matcher.js'

/**
 * Fans an event out: claims it in the outbox, writes the first attempt of
 * every matching subscription in the same transaction, then queues them.
 * Claiming makes a second run for the same event (sweeper, redelivered job)
 * a no-op.
 */
export class EventDispatcher {
  constructor(
    private db: Database,
    private outbox: Outbox,
    private matcher: SubscriptionMatcher,
    private attempts: AttemptLog,
    private queue: PipelineQueue,
    private planFor: PlanFor
  ) {}

  async fanOut({ eventId, event }: FanOutPayload): Promise<number> {
    const scheduled = await this.db.transaction(async (trx) => {
      if (event) await this.outbox.insert([event], trx)
      const claimed = await this.outbox.claim(eventId, trx)
      if (!claimed) return null

      const subscriptions = await this.matcher.match(claimed, trx)
      const plan = await this.planFor(claimed.resource)
      const delay = plan.backoff.firstDelay()
      const dueAt = Date.now() + delay
      const ids = await this.attempts.schedule(
        subscriptions.map((subscription) => ({
          subscriptionId: subscription.id,
          eventId,
          attempt: 1,
          dueAt,
        })),
        trx
      )
      return { ids, queue: plan.queue, delay }
    })
    if (!scheduled) return 0

    await this.queue.enqueueAttempts(
      scheduled.ids.map((id) => ({ id, queue: scheduled.queue, delay: scheduled.delay }))
    )
    return scheduled.ids.length
  }
}
