import type { Database } from '@adonisjs/lucid/database'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import { Batcher, groupBy } from '../batcher.js'
import type {
  AttemptLog,
  AttemptRecord,
  ScheduledAttempt,
  StartedAttempt,
} from '../delivery/attempt_log.js'
import type { PlanFor } from '../delivery/delivery_plan.js'
import type { DeliveryJob, FanOutPayload, PipelineQueue } from '../queue/pipeline_queue.js'
import { endFanOut, failFanOut, startFanOut } from '../telemetry/spans.js'
import { carryingTraces } from '../telemetry/trace_context.js'
import type { EventRecord } from '../types.js'
import { claimAndWrite } from './fan_out_write.js'
import type { Outbox } from '../recording/outbox.js'
import type { Candidate, SubscriptionMatcher } from './subscription_matcher.js'

/** First attempts a batch of fan-out jobs sends itself at most; more go to delivery jobs */
const INLINE_ATTEMPTS = 500

function eventIdsOf(payload: FanOutPayload) {
  return [...(payload.eventIds ?? []), ...(payload.events ?? []).map((event) => event.id)]
}

function batchIdsOf(payloads: FanOutPayload[]) {
  return payloads.flatMap((payload) => (payload.batchId ? [payload.batchId] : []))
}

interface Planned {
  attempt: ScheduledAttempt
  event: EventRecord
  candidate: Candidate
}

/**
 * Fans events out: finds the subscriptions of each, then claims the events
 * in the outbox (moving those of outbox batches there) and writes the first
 * attempt of every match, all or nothing. Claiming makes a second run for
 * the same event (sweeper, a job run again) a no-op. The fan-out jobs a
 * worker runs together share these statements.
 *
 * First attempts due at once, when a batch has no more than 500 of them,
 * are handed back to the fan-out jobs, which send them once they are
 * written: the event reaches its receivers without another trip through
 * Redis. The others are queued in delivery jobs.
 */
export class FanOut {
  #batcher = new Batcher<FanOutPayload, StartedAttempt[]>((payloads) => this.#fanOutAll(payloads), {
    concurrency: 4,
    // Jobs of a transaction carry up to 500 events each
    maxSize: 20,
  })

  constructor(
    private db: Database,
    private outbox: Outbox,
    private matcher: SubscriptionMatcher,
    private attempts: AttemptLog,
    private queue: PipelineQueue,
    private planFor: PlanFor
  ) {}

  /**
   * Fans out the payload's events; resolves with the first attempts due at
   * once that fell to this job, marked as being sent, for the job to send.
   */
  run(payload: FanOutPayload): Promise<StartedAttempt[]> {
    return this.#batcher.add(payload)
  }

  /**
   * The attempts of the payload's events that an earlier run of its job
   * began and never completed (its worker died, or it failed): to be logged
   * as interrupted and sent again. Asked once this run's own are sent.
   */
  leftOver(payload: FanOutPayload): Promise<string[]> {
    return this.attempts.startedByFanOut(eventIdsOf(payload), this.db.connection())
  }

  async #fanOutAll(payloads: FanOutPayload[]): Promise<StartedAttempt[][]> {
    const client = this.db.connection()
    const events = await this.#eventsOf(payloads, client)
    const spans = new Map(events.map((event) => [event.id, startFanOut(event)]))
    try {
      const { started, attemptsByEvent } = await this.#fanOut(payloads, events, client)
      endFanOut(spans, attemptsByEvent)
      return started
    } catch (error) {
      failFanOut(spans, error)
      throw error
    }
  }

  async #fanOut(payloads: FanOutPayload[], events: EventRecord[], client: QueryClientContract) {
    const planned = await this.#plan(events, client)

    const dueNow = planned.filter(({ attempt }) => attempt.delay === 0)
    const inline = new Set(dueNow.length <= INLINE_ATTEMPTS ? dueNow : [])
    const sentHere = this.attempts.rowsAndJobs(
      [...inline].map(({ attempt }) => attempt),
      client,
      { sentByCaller: true }
    )
    const queued = this.attempts.rowsAndJobs(
      planned.filter((item) => !inline.has(item)).map(({ attempt }) => attempt),
      client
    )
    const rows = [...sentHere.rows, ...queued.rows]
    const claimed = await claimAndWrite(this.db, this.outbox, this.attempts, {
      events,
      batchIds: batchIdsOf(payloads),
      attempts: rows,
    })
    const writtenRows = rows.filter((row) => claimed.has(row.event_id))
    const written = new Set(writtenRows.map((row) => row.id))
    const attemptsByEvent = groupBy(writtenRows, (row) => row.event_id)

    await this.#enqueue(queued.jobs, writtenRows, events)
    const started = [...inline].flatMap(({ event, candidate }, index) =>
      written.has(sentHere.attempts[index].id)
        ? [{ delivery: sentHere.attempts[index], event, subscription: candidate.subscription() }]
        : []
    )
    const byEvent = groupBy(started, (item) => item.event.id)
    const handed = new Set<string>()
    return {
      started: payloads.map((payload) =>
        eventIdsOf(payload).flatMap((id) => {
          // An event in two payloads of a batch is sent by the first
          if (handed.has(id)) return []
          handed.add(id)
          return byEvent.get(id) ?? []
        })
      ),
      attemptsByEvent,
    }
  }

  /**
   * Queues the jobs of the attempts written, each with the trace contexts
   * of its attempts' events.
   */
  async #enqueue(jobs: DeliveryJob[], written: AttemptRecord[], events: EventRecord[]) {
    const eventById = new Map(events.map((event) => [event.id, event]))
    const eventOf = new Map(written.map((row) => [row.id, eventById.get(row.event_id)!]))
    await this.queue.enqueueDeliveries(
      jobs
        .map((job) => {
          const deliveryIds = job.deliveryIds.filter((id) => eventOf.has(id))
          return carryingTraces(
            { ...job, deliveryIds },
            deliveryIds.map((id) => eventOf.get(id)!)
          )
        })
        .filter((job) => job.deliveryIds.length > 0)
    )
  }

  /**
   * The payloads' events: those carried whole, the others read from their
   * outbox batch, or from the outbox once a fan-out has moved them there.
   */
  async #eventsOf(payloads: FanOutPayload[], client: QueryClientContract) {
    const batched = await this.outbox.batches.events(batchIdsOf(payloads), client)
    const known = new Map(
      [...payloads.flatMap((payload) => payload.events ?? []), ...batched].map((event) => [
        event.id,
        event,
      ])
    )
    const read = await this.outbox.undispatched(
      payloads.flatMap((payload) => payload.eventIds ?? []).filter((id) => !known.has(id)),
      client
    )
    return [...known.values(), ...read]
  }

  /**
   * The first attempt of each event at each of its subscriptions.
   */
  async #plan(events: EventRecord[], client: QueryClientContract): Promise<Planned[]> {
    const matches = await this.matcher.match(events, client)
    const planned: Planned[] = []
    for (const event of events) {
      const plan = await this.planFor(event.resource)
      for (const candidate of matches.get(event.id) ?? []) {
        const attempt = {
          subscriptionId: candidate.id,
          eventId: event.id,
          attempt: 1,
          queue: plan.queue,
          delay: plan.backoff.firstDelay(),
        }
        planned.push({ attempt, event, candidate })
      }
    }
    return planned
  }
}
