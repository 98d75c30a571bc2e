import { debuglog } from 'node:util'
import { Batcher, groupBy } from '../batcher.js'
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
 * so that none waits for a round trip of its own: saves made meanwhile share
 * one INSERT into the outbox and one fan-out job per queue. When neither the
 * database nor Redis takes them, they are tried again until the process stops.
 */
export class OutboxWriter {
  #batcher: Batcher<PendingEvent, void>
  #inFlight = new Set<Promise<void>>()
  #retrying = new Map<NodeJS.Timeout, PendingEvent>()

  constructor(
    private outbox: Outbox,
    private queue: PipelineQueue,
    private onRecorded: (events: EventRecord[]) => Promise<void>
  ) {
    this.#batcher = new Batcher((pending) => this.#write(pending), {
      concurrency: 1,
      maxSize: 500,
      // A steady stream of saves shares statements; a lone save waits for nothing
      minIntervalMs: 4,
    })
  }

  write(pending: PendingEvent) {
    this.#track(
      this.#batcher.add(pending).catch((error) => {
        debug('recording %s failed, trying again: %s', pending.event.id, error.message)
        const retry = setTimeout(() => {
          this.#retrying.delete(retry)
          this.write(pending)
        }, RETRY_MS).unref()
        this.#retrying.set(retry, pending)
      })
    )
  }

  /**
   * The INSERT and the job go out together: the job carries the events
   * whole, and the fan-out writes any its INSERT has not yet. Either one
   * taken is enough; Redis not taking the job leaves the events to the
   * sweeper, the database not taking them leaves them to the fan-out.
   */
  async #write(pending: PendingEvent[]) {
    const events = pending.map(({ event }) => event)
    const [inserted, queued] = await Promise.allSettled([
      this.outbox.insert(events),
      this.queue.enqueueFanOut(
        [...groupBy(pending, ({ queue }) => queue)].map(([queue, group]) => ({
          queue,
          payload: { events: group.map(({ event }) => event) },
          jobId: group[0].event.id,
        }))
      ),
    ])
    if (inserted.status === 'rejected' && queued.status === 'rejected') throw inserted.reason
    if (queued.status === 'rejected') {
      debug('queueing recorded events failed, the sweeper will: %s', queued.reason.message)
    }
    await this.onRecorded(events)
    return pending.map(() => undefined)
  }

  #track(work: Promise<void>) {
    this.#inFlight.add(work)
    void work.finally(() => this.#inFlight.delete(work))
  }

  /**
   * Waits for the writes under way and tries the failed ones a last time.
   */
  async close() {
    await Promise.all(this.#inFlight)
    const failed = [...this.#retrying.values()]
    this.#retrying.forEach((_, retry) => clearTimeout(retry))
    this.#retrying.clear()
    if (failed.length === 0) return
    await this.#write(failed).catch((error) => {
      debug('%d events could not be recorded: %s', failed.length, error.message)
    })
  }
}
