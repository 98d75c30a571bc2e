import type { Database } from '@adonisjs/lucid/database'
import { Batcher, groupBy } from '../batcher.js'
import type { Outbox } from '../recording/outbox.js'
import { WebhookSubscription } from '../models/webhook_subscription.js'
import type { EventRecord } from '../types.js'
import type { AttemptLog, AttemptRow, StartedAttempt } from './attempt_log.js'
import type { PlanFor } from './delivery_plan.js'
import { outcomeOf, type OutcomeRecorder } from '../outcome/outcome_recorder.js'
import type { DeliverPayload } from '../queue/pipeline_queue.js'
import { describeAttempt, tracingAttempt } from '../telemetry/spans.js'
import { withTrace } from '../telemetry/trace_context.js'
import { buildRequest } from './request.js'
import type { RateLimiter } from './rate_limiter.js'
import type { Sender } from './sender.js'
import type { Signer } from './signer.js'
import type { SlowLane } from './slow_lane.js'

/** An attempt as a delivery job loads it: what is left to do with it */
type LoadedAttempt =
  | ({ action: 'send' } & StartedAttempt)
  | { action: 'interrupted'; delivery: AttemptRow; event: EventRecord }
  | { action: 'done' }

const ALREADY_DONE: LoadedAttempt = { action: 'done' }

/**
 * Waits for every attempt before failing with the first error: a job's
 * retry must not race a send still under way.
 */
async function allSettledOrThrow(work: Promise<unknown>[]) {
  const settled = await Promise.allSettled(work)
  const failure = settled.find((result) => result.status === 'rejected')
  if (failure) throw failure.reason
}

/**
 * Carries out pending attempts: load, sign, send, record the outcome.
 * Anything already completed is left alone, so a job run twice sends once;
 * an attempt a cut-short run began is logged as interrupted and sent again
 * as the next attempt, so every request that may have left is in the log.
 * The delivery jobs a worker runs together load and mark their attempts in
 * a few shared statements.
 */
export class Deliverer {
  #loader = new Batcher<string, LoadedAttempt>((ids) => this.#loadAll(ids), {
    concurrency: 4,
  })

  constructor(
    private db: Database,
    private attempts: AttemptLog,
    private outbox: Outbox,
    private signer: Signer,
    private sender: Sender,
    private outcome: OutcomeRecorder,
    private planFor: PlanFor,
    private rateLimiter: RateLimiter,
    private slowLane: SlowLane
  ) {}

  /**
   * Carries out the attempts of a job, side by side, in the traces of their
   * events that the job carries; `fromSlowLane` when the job is on a slow
   * lane.
   */
  deliver(deliveryIds: string[], traces?: DeliverPayload['traces'], fromSlowLane = false) {
    return allSettledOrThrow(deliveryIds.map((id) => this.#deliverOne(id, traces, fromSlowLane)))
  }

  /**
   * Sends attempts already marked as being sent, side by side.
   */
  sendStarted(attempts: StartedAttempt[]) {
    return allSettledOrThrow(attempts.map((started) => this.#send(started, false)))
  }

  async #deliverOne(deliveryId: string, traces: DeliverPayload['traces'], fromSlowLane: boolean) {
    const preparation = await this.#loader.add(deliveryId)
    if (preparation.action === 'interrupted') {
      const { delivery } = preparation
      const event = withTrace(preparation.event, traces)
      return this.outcome.interrupted(delivery, event, await this.planFor(event.resource))
    }
    if (preparation.action === 'send') {
      const event = withTrace(preparation.event, traces)
      await this.#send({ ...preparation, event }, fromSlowLane)
    }
  }

  /**
   * Sends a begun attempt, unless the slow lane takes it over or its
   * subscription's rate limit holds it back, to be sent in its turn.
   */
  #send(started: StartedAttempt, fromSlowLane: boolean) {
    return this.slowLane.route(started, fromSlowLane, async () => {
      if (await this.rateLimiter.holdsBack(started)) return
      await this.attempt(started.delivery, started.subscription, started.event)
    })
  }

  /**
   * Marks the pending attempts as being sent, loads them with their
   * subscriptions and events, and cancels those that will not be sent.
   */
  async #loadAll(ids: string[]): Promise<LoadedAttempt[]> {
    const client = this.db.connection()
    const started = await this.attempts.start(ids, client)
    const startedIds = new Set(started.map((delivery) => delivery.id))
    const notStarted = ids.filter((id) => !startedIds.has(id))
    // Not started by this run: completed already, or begun by a run cut short
    const interrupted = await this.attempts.pending(notStarted, client)
    const deliveries = [...started, ...interrupted]

    const [subscriptions, events] = await Promise.all([
      WebhookSubscription.query({ client }).whereIn('id', [
        ...new Set(deliveries.map((delivery) => delivery.subscriptionId)),
      ]),
      this.outbox.findMany([...new Set(deliveries.map((delivery) => delivery.eventId))], client),
    ])
    const subscriptionById = new Map(subscriptions.map((row) => [Number(row.id), row]))
    const eventById = new Map(events.map((event) => [event.id, event]))
    const subscriptionOf = (delivery: AttemptRow) =>
      subscriptionById.get(Number(delivery.subscriptionId))
    const notSent = (delivery: AttemptRow) => {
      if (subscriptionOf(delivery)?.isActive === false) {
        return 'Cancelled: the subscription is inactive'
      }
      if (!eventById.has(delivery.eventId)) return 'Cancelled: the event no longer exists'
      return null
    }
    const cancelled = groupBy(
      deliveries.filter((delivery) => subscriptionOf(delivery) && notSent(delivery)),
      (delivery) => notSent(delivery)!
    )
    for (const [reason, rows] of cancelled) {
      await this.outcome.cancel(
        rows.map((row) => ({ id: row.id, resource: subscriptionOf(row)!.resource })),
        reason
      )
    }

    const ready = new Map(
      deliveries
        .filter((delivery) => subscriptionOf(delivery) && !notSent(delivery))
        .map((delivery) => [delivery.id, delivery])
    )
    return ids.map((id): LoadedAttempt => {
      const delivery = ready.get(id)
      // The same attempt twice in a batch (a swept job beside its own) runs once
      ready.delete(id)
      if (!delivery) return ALREADY_DONE
      const event = eventById.get(delivery.eventId)!
      if (!startedIds.has(id)) return { action: 'interrupted', delivery, event }
      return { action: 'send', delivery, subscription: subscriptionOf(delivery)!, event }
    })
  }

  /**
   * Sends one attempt now and records it, in a span of its own; `retry:
   * false` schedules no next attempt when it fails (pings).
   */
  attempt(
    delivery: AttemptRow,
    subscription: WebhookSubscription,
    event: EventRecord,
    options: { retry: boolean } = { retry: true }
  ) {
    return tracingAttempt({ delivery, url: subscription.url, event }, async (span) => {
      const request = buildRequest(subscription, event, delivery.id, this.signer)
      const result = await this.sender.send(request)
      this.slowLane.observe(subscription.id, result)
      describeAttempt(span, result, outcomeOf(result))
      const plan = await this.planFor(event.resource)
      if (result.interrupted) {
        await this.outcome.interrupted(delivery, event, plan)
      } else {
        await this.outcome.record(delivery, event, request.loggedHeaders, result, {
          plan,
          retry: options.retry,
        })
      }
      return result
    })
  }
}
