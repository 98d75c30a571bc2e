import { debuglog } from 'node:util'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { BackgroundWork } from '../background_work.js'
import { CHARS_PER_STATEMENT, chunks, groupBy } from '../batcher.js'
import type { LifecycleEvents } from '../lifecycle_events.js'
import type { PipelineQueue } from '../queue/pipeline_queue.js'
import { pipelineMetrics } from '../telemetry/metrics.js'
import { traceRecord } from '../telemetry/spans.js'
import type { EventRecord } from '../types.js'
import { completed, publicEvent, type EventDraft } from './event_record.js'
import type { Outbox } from './outbox.js'
import type { EventBatch } from './outbox_batches.js'
import { OutboxWriter } from './outbox_writer.js'

const debug = debuglog('adonis-exo')

/** Events of a transaction per fan-out job */
const EVENTS_PER_JOB = 500

interface BufferedEvent {
  draft: EventDraft
  queue: string
}

interface QueuedBatch extends EventBatch {
  queue: string
}

/**
 * A transaction's events as outbox batches, one per fan-out job: those of a
 * queue together, their payloads serialized now. A batch's row holds its
 * events' payloads escaped once more, up to twice as long.
 */
function batchesOf(buffered: BufferedEvent[]): QueuedBatch[] {
  return [...groupBy(buffered, ({ queue }) => queue)].flatMap(([queue, group]) => {
    const events = group.map(({ draft }) => completed(draft))
    const limits = {
      count: EVENTS_PER_JOB,
      weight: { max: CHARS_PER_STATEMENT / 2, of: (event: EventRecord) => event.data.length },
    }
    return chunks(events, limits).map((part) => ({ id: part[0].id, queue, events: part }))
  })
}

/** The event, with the trace context of its recording when the app traces */
function traced(event: EventRecord) {
  const trace = traceRecord(event)
  if (trace) event.trace = trace
  return event
}

/**
 * Records events where they cannot be lost:
 * - inside a transaction, buffered and written to the outbox just before the
 *   transaction commits, as one row per fan-out job, then queued after the
 *   commit; their payloads are serialized at the commit too, one after the other;
 * - otherwise handed to the outbox writer, which writes them behind the save
 *   (the row is already committed, so waiting would make it no more atomic),
 *   or, for `exo.emit`, before the emit resolves.
 * Once an event is durable, `exo:event:recorded` is emitted.
 */
export class EventRecorder {
  #buffers = new WeakMap<TransactionClientContract, BufferedEvent[]>()
  #queueing = new BackgroundWork()
  #writer: OutboxWriter

  constructor(
    private outbox: Outbox,
    private queue: PipelineQueue,
    private events: LifecycleEvents
  ) {
    this.#writer = new OutboxWriter(outbox, queue, (recorded) => this.#announce(recorded))
  }

  /**
   * Records the event of a save made outside a transaction.
   */
  record(event: EventRecord, queue: string) {
    this.#writer.write({ event: traced(event), queue })
  }

  /**
   * Records an event made outside a transaction, resolving once it is
   * durable (`exo.emit`, whose caller waits for it, unlike a save's hook).
   */
  recordNow(event: EventRecord, queue: string): Promise<void> {
    return this.#writer.writeNow({ event: traced(event), queue })
  }

  /**
   * Records the event of a save made in `trx` when it commits, its payload
   * serialized then.
   */
  recordInTransaction(draft: EventDraft, queue: string, trx: TransactionClientContract) {
    traced(draft.event)
    this.#bufferFor(trx).push({ draft, queue })
  }

  async #announce(events: EventRecord[]) {
    pipelineMetrics.eventsRecorded(events)
    await Promise.all(
      events.map((event) => this.events.emit('exo:event:recorded', publicEvent(event)))
    )
  }

  #bufferFor(trx: TransactionClientContract): BufferedEvent[] {
    let buffer = this.#buffers.get(trx)
    if (buffer) return buffer

    const buffered: BufferedEvent[] = []
    this.#buffers.set(trx, buffered)
    let batches: QueuedBatch[] = []

    // Lucid has no before-commit hook: wrapping this transaction's commit writes
    // the buffered events as its last statement, so they commit or roll back with it.
    const commit = trx.commit.bind(trx)
    trx.commit = async () => {
      batches = batchesOf(buffered)
      await this.outbox.batches.insert(batches, trx)
      await commit()
    }
    // Lucid's commit waits for its hooks: the events are durable once it is
    // done, queueing them is left to run behind it
    trx.after('commit', async () => {
      this.#queueing.add(this.#enqueueCommitted(batches))
      await this.#announce(buffered.map(({ draft }) => draft.event))
    })
    return buffered
  }

  /** The batches are committed: when queueing fails, the sweeper queues them */
  async #enqueueCommitted(batches: QueuedBatch[]) {
    try {
      await this.queue.enqueueFanOut(
        batches.map(({ id, queue, events }) => ({
          queue,
          payload: { batchId: id, eventIds: events.map((event) => event.id) },
          jobId: id,
        }))
      )
    } catch (error) {
      debug('queueing committed events failed, the sweeper will: %s', error.message)
    }
  }

  /**
   * Waits for the events still being written or queued.
   */
  async close() {
    await this.#queueing.settled()
    await this.#writer.close()
  }
}
