import type { Database } from '@adonisjs/lucid/database'
import type { LoggerService } from '@adonisjs/core/types'
import { slowLaneOf, type PipelineQueue } from '../queue/pipeline_queue.js'
import type { AttemptLog, StartedAttempt } from './attempt_log.js'
import type { PlanFor } from './delivery_plan.js'
import type { SendResult } from './sender.js'
import { carryingTraces } from '../telemetry/trace_context.js'

/** A receiver that takes longer than this (or half the timeout, if less) to answer is slow */
const SLOW_AFTER_MS = 1000

/** How long whether a slow lane has workers is taken as known */
const WORKERS_KNOWN_FOR_MS = 10_000

/**
 * Keeps slow and hanging receivers from taking the worker slots that every
 * other subscription's attempts need. A BullMQ worker runs `concurrency`
 * jobs at once and a job keeps its slot for its whole HTTP wait, so once a
 * request of a subscription has been under way for a second (or half the
 * timeout, if less), that subscription is slow in this process until one
 * of its requests is answered sooner. The attempts of a slow subscription
 * that come due on a main queue are handed to the queue's slow lane: a
 * queue of its own (`<queue>.slow`) that workers of their own run, where
 * they wait their turn in Redis without taking anyone's slot. While no
 * worker listens on a slow lane, attempts are sent from the main queue.
 */
export class SlowLane {
  #slowAfterMs: number
  #slow = new Set<number>()
  #listened = new Map<string, { until: number; has: Promise<boolean> }>()
  #warned = false

  constructor(
    private db: Database,
    private attempts: AttemptLog,
    private queue: PipelineQueue,
    private planFor: PlanFor,
    private logger: LoggerService,
    timeoutMs: number
  ) {
    this.#slowAfterMs = Math.min(SLOW_AFTER_MS, timeoutMs / 2)
  }

  /**
   * Sends a begun attempt with `send`, unless it comes due on a main queue
   * while its subscription is slow: then the slow lane takes it over.
   */
  async route(started: StartedAttempt, fromSlowLane: boolean, send: () => Promise<unknown>) {
    const subscriptionId = started.subscription.id
    if (!fromSlowLane && this.#slow.has(subscriptionId) && (await this.#handOver(started))) return
    const late = setTimeout(() => this.#markSlow(subscriptionId), this.#slowAfterMs)
    try {
      await send()
    } finally {
      clearTimeout(late)
    }
  }

  /**
   * Learns from how long the subscription's receiver took to answer.
   */
  observe(subscriptionId: number, result: SendResult) {
    if (result.interrupted) return
    if (result.durationMs >= this.#slowAfterMs) this.#markSlow(subscriptionId)
    else this.#slow.delete(subscriptionId)
  }

  #markSlow(subscriptionId: number) {
    if (this.#slow.has(subscriptionId)) return
    this.#slow.add(subscriptionId)
    this.logger.info(
      `adonis-exo: the receiver of subscription ${subscriptionId} is slow; its attempts go to the slow lane`
    )
  }

  /**
   * Hands a begun attempt to the slow lane of its queue, when a worker
   * listens there: not begun again, in a job of its own (named after it, so
   * that the sweeper finds it), it keeps its number and its place on the
   * backoff schedule.
   */
  async #handOver({ delivery, event }: StartedAttempt): Promise<boolean> {
    const plan = await this.planFor(event.resource)
    const lane = slowLaneOf(plan.queue)
    if (!(await this.#hasWorkers(lane))) return false
    await this.attempts.handOver(delivery.id, this.db.connection())
    await this.queue.enqueueDeliveries([
      carryingTraces({ id: delivery.id, queue: lane, delay: 0, deliveryIds: [delivery.id] }, [
        event,
      ]),
    ])
    return true
  }

  #hasWorkers(lane: string): Promise<boolean> {
    const known = this.#listened.get(lane)
    if (known && known.until > Date.now()) return known.has
    const has = this.queue.hasWorkers(lane).then(
      (listened) => {
        if (!listened) this.#warnUnlistened(lane)
        return listened
      },
      () => false
    )
    this.#listened.set(lane, { until: Date.now() + WORKERS_KNOWN_FOR_MS, has })
    return has
  }

  #warnUnlistened(lane: string) {
    if (this.#warned) return
    this.#warned = true
    this.logger.warn(
      `adonis-exo: no worker listens on the slow lane "${this.queue.redisName(lane)}", so a slow ` +
        'receiver holds the workers of the main queue. `node ace exo:work` listens there by ' +
        'itself; add it to the queues of `node ace queue:listen` (see docs/operations.md, "Fairness")'
    )
  }
}
