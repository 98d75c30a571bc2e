import type { Database } from '@adonisjs/lucid/database'
import type { Outbox } from '../events/outbox.js'
import { WebhookDelivery } from '../models/webhook_delivery.js'
import { WebhookSubscription } from '../models/webhook_subscription.js'
import type { EventRecord } from '../types.js'
import type { AttemptLog } from './attempt_log.js'
import type { PlanFor } from './delivery_plan.js'
import type { OutcomeRecorder } from './outcome.js'
import { buildRequest } from './request.js'
import type { Sender } from './sender.js'
import type { Signer } from './signer.js'

/**
 * Carries out one pending attempt: load it, sign, send, record the outcome.
 * Anything already completed is left alone, so a job run twice sends once;
 * an attempt a cut-short run began is logged as interrupted and sent again
 * as the next attempt, so every request that may have left is in the log.
 */
export class Deliverer {
  constructor(
    private db: Database,
    private attempts: AttemptLog,
    private outbox: Outbox,
    private signer: Signer,
    private sender: Sender,
    private outcome: OutcomeRecorder,
    private planFor: PlanFor
  ) {}

  async deliver(deliveryId: string) {
    const delivery = await WebhookDelivery.find(deliveryId)
    if (!delivery || delivery.status !== 'pending') return

    const subscription = await WebhookSubscription.find(delivery.subscriptionId)
    if (!subscription) return
    if (!subscription.isActive) {
      return this.outcome.cancel(delivery.id, 'Cancelled: the subscription is inactive')
    }
    const event = await this.outbox.find(delivery.eventId)
    if (!event) {
      return this.outcome.cancel(delivery.id, 'Cancelled: the event no longer exists')
    }

    const plan = await this.planFor(event.resource)
    if (!(await this.attempts.start(delivery.id, this.db.connection()))) {
      return this.outcome.interrupted(delivery, plan)
    }
    await this.attempt(delivery, subscription, event)
  }

  /**
   * Sends one attempt now and records it; `retry: false` schedules no next
   * attempt when it fails (pings).
   */
  async attempt(
    delivery: WebhookDelivery,
    subscription: WebhookSubscription,
    event: EventRecord,
    options: { retry: boolean } = { retry: true }
  ) {
    const request = buildRequest(subscription, event, delivery.id, this.signer)
    const result = await this.sender.send(request)
    await this.outcome.record(delivery, event, request.loggedHeaders, result, {
      plan: await this.planFor(event.resource),
      retry: options.retry,
    })
    return result
  }
}
