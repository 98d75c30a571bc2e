import type { Database } from '@adonisjs/lucid/database'
import { Batcher, groupBy } from '../batcher.js'
import {
  ATTEMPTS_PER_JOB,
  type AttemptLog,
  type ScheduledAttempt,
} from '../delivery/attempt_log.js'
import type { PlanFor } from '../delivery/delivery_plan.js'
import type { Deliverer, StartedAttempt } from '../delivery/deliverer.js'
import { WebhookSubscription } from '../models/webhook_subscription.js'
import type { FanOutPayload, PipelineQueue } from '../queue/pipeline_queue.js'
import type { EventRecord } from '../types.js'
import type { Outbox } from './outbox.js'
import type { Listener, SubscriptionMatcher } from './subscription_matcher.js'

function eventIdsOf(payload: FanOutPayload) {
  return [...(payload.eventIds ?? []), ...(payload.events ?? []).map((event) => event.id)]
}

interface Planned {
  attempt: ScheduledAttempt
  event: EventRecord
  listener: Listener
}

/**
 * Fans events out: claims them in the outbox and writes the first attempt
 * of every matching subscription in the same transaction. Claiming makes a
 * second run for the same event (sweeper, redelivered job) a no-op. The
 * fan-out jobs a worker runs together share one transaction.
 *
 * First attempts due at once, when a batch has no more than a job's worth,
 * are sent by the fan-out job itself right after the commit: the event
 * reaches its receivers without another trip through Redis. The others are
 * queued in delivery jobs.
 */
export class EventDispatcher {
  #batcher = new Batcher<FanOutPayload, StartedAttempt[]>((payloads) => this.#fanOutAll(payloads), {
    concurrency: 2,
    // Jobs of a transaction carry up to 500 events each
    maxSize: 20,
  })

  constructor(
    private db: Database,
    private outbox: Outbox,
    private matcher: SubscriptionMatcher,
    private attempts: AttemptLog,
    private queue: PipelineQueue,
    private deliverer: Deliverer,
    private planFor: PlanFor
  ) {}

  /**
   * Fans out the payload's events and sends the attempts due at once that
   * fell to this job. A job run again (its worker died, or it failed) also
   * takes up the attempts its earlier run began: they are logged as
   * interrupted and sent again.
   */
  async fanOut(payload: FanOutPayload, { runAgain = false } = {}) {
    const started = await this.#batcher.add(payload)
    await this.deliverer.sendStarted(started)
    if (runAgain) {
      const begun = await this.attempts.begunByFanOut(eventIdsOf(payload), this.db.connection())
      await this.deliverer.deliver(begun)
    }
  }

  async #fanOutAll(payloads: FanOutPayload[]): Promise<StartedAttempt[][]> {
    const { jobs, started } = await this.db.transaction(async (trx) => {
      await this.outbox.insert(
        payloads.flatMap((payload) => payload.events ?? []),
        trx
      )
      const claimed = await this.outbox.claim(payloads.flatMap(eventIdsOf), trx)
      const planned = await this.#plan(claimed, trx)

      const dueNow = planned.filter(({ attempt }) => attempt.delay === 0)
      const inline = new Set(dueNow.length <= ATTEMPTS_PER_JOB ? dueNow : [])
      const queued = planned.filter((item) => !inline.has(item))
      const begun = await this.attempts.begin(
        [...inline].map(({ attempt }) => attempt),
        trx
      )
      return {
        jobs: await this.attempts.schedule(
          queued.map(({ attempt }) => attempt),
          trx
        ),
        started: [...inline].map(({ event, listener }, index) => ({
          delivery: begun[index],
          event,
          subscription: WebhookSubscription.$createFromAdapterResult(listener.row)!,
        })),
      }
    })
    await this.queue.enqueueDeliveries(jobs)

    const byEvent = groupBy(started, (item) => item.event.id)
    const handed = new Set<string>()
    return payloads.map((payload) =>
      eventIdsOf(payload).flatMap((id) => {
        // An event in two payloads of a batch is sent by the first
        if (handed.has(id)) return []
        handed.add(id)
        return byEvent.get(id) ?? []
      })
    )
  }

  /**
   * The first attempt of each claimed event at each of its subscriptions.
   */
  async #plan(
    claimed: EventRecord[],
    trx: Parameters<SubscriptionMatcher['match']>[1]
  ): Promise<Planned[]> {
    const matches = await this.matcher.match(claimed, trx)
    const planned: Planned[] = []
    for (const event of claimed) {
      const plan = await this.planFor(event.resource)
      for (const listener of matches.get(event.id) ?? []) {
        const attempt = {
          subscriptionId: listener.id,
          eventId: event.id,
          attempt: 1,
          queue: plan.queue,
          delay: plan.backoff.firstDelay(),
        }
        planned.push({ attempt, event, listener })
      }
    }
    return planned
  }
}
