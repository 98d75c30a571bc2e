import { debuglog } from 'node:util'
import { BackgroundWork } from '../background_work.js'
import { Batcher, CHARS_PER_STATEMENT, groupBy } from '../batcher.js'
import type { PipelineQueue } from '../queue/pipeline_queue.js'
import type { EventRecord } from '../types.js'
import type { Outbox } from './outbox.js'

const debug = debuglog('adonis-exo')

const RETRY_MS = 5000

export interface PendingEvent {
  event: EventRecord
  queue: string
}

/**
 * Writes the events of saves made outside a transaction behind those saves,
 * so that none waits for a round trip of its own. Each event goes two ways
 * at once: into a fan-out job, which carries it whole, and into the outbox.
 * Either one taken is enough: Redis not taking the job leaves the event to
 * the sweeper, the database not taking the row leaves it to the fan-out,
 * which writes any event its outbox lacks. When neither takes it, both are
 * tried again until the process stops.
 *
 * Saves made together share one job per queue, and one INSERT: the job
 * goes at once, since the event's delivery waits for it; the INSERT waits a
 * little for more saves to share it, since nothing waits for it.
 */
export class OutboxWriter {
  #jobs = new Batcher<PendingEvent, void>((pending) => this.#enqueue(pending), {
    concurrency: 1,
    maxSize: 500,
    // A job carries its events whole, and the worker writes them all at once
    weight: { max: CHARS_PER_STATEMENT, of: ({ event }) => event.data.length },
    // Enough for a stream of saves to share jobs, too little to delay a lone one
    minIntervalMs: 3,
  })
  #rows = new Batcher<EventRecord, void>((events) => this.#insert(events), {
    concurrency: 1,
    maxSize: 500,
    minIntervalMs: 20,
  })
  #inFlight = new BackgroundWork()
  #retrying = new Map<NodeJS.Timeout, PendingEvent>()

  constructor(
    private outbox: Outbox,
    private queue: PipelineQueue,
    private onRecorded: (events: EventRecord[]) => Promise<void>
  ) {}

  write(pending: PendingEvent) {
    const work = this.#write(pending).catch((error) => {
      debug('recording %s failed, trying again: %s', pending.event.id, error.message)
      const retry = setTimeout(() => {
        this.#retrying.delete(retry)
        this.write(pending)
      }, RETRY_MS).unref()
      this.#retrying.set(retry, pending)
    })
    this.#inFlight.add(work)
  }

  /**
   * Writes one event now, resolving once the outbox or a fan-out job holds
   * it; rejects, leaving nothing to retry, when neither takes it.
   */
  writeNow(pending: PendingEvent): Promise<void> {
    const work = this.#write(pending)
    this.#inFlight.add(work)
    return work
  }

  async #write(pending: PendingEvent) {
    const [inserted, queued] = await Promise.allSettled([
      this.#rows.add(pending.event),
      this.#jobs.add(pending),
    ])
    if (inserted.status === 'rejected' && queued.status === 'rejected') throw inserted.reason
    if (queued.status === 'rejected') {
      debug('queueing recorded events failed, the sweeper will: %s', queued.reason.message)
    }
    await this.onRecorded([pending.event])
  }

  async #enqueue(pending: PendingEvent[]) {
    await this.queue.enqueueFanOut(
      [...groupBy(pending, ({ queue }) => queue)].map(([queue, group]) => ({
        queue,
        payload: { events: group.map(({ event }) => event) },
        jobId: group[0].event.id,
      }))
    )
    return pending.map(() => undefined)
  }

  async #insert(events: EventRecord[]) {
    await this.outbox.insert(events)
    return events.map(() => undefined)
  }

  /**
   * Waits for the writes under way and tries the failed ones a last time.
   */
  async close() {
    await this.#inFlight.settled()
    const failed = [...this.#retrying.values()]
    this.#retrying.forEach((_, retry) => clearTimeout(retry))
    this.#retrying.clear()
    if (failed.length === 0) return
    await Promise.allSettled(failed.map((pending) => this.#write(pending))).then((results) => {
      const lost = results.filter((result) => result.status === 'rejected').length
      if (lost > 0) debug('%d events could not be recorded', lost)
    })
  }
}
