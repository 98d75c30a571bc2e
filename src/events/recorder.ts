import { debuglog } from 'node:util'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { LifecycleEvents } from '../lifecycle_events.js'
import type { PipelineQueue } from '../queue/pipeline_queue.js'
import type { EventRecord } from '../types.js'
import { publicEvent } from './event_record.js'
import type { Outbox } from './outbox.js'

const debug = debuglog('adonis-exo')

interface PendingEvent {
  event: EventRecord
  queue: string
}

/**
 * Records events where they cannot be lost:
 * - inside a transaction, buffered and written to the outbox in one statement
 *   just before the transaction commits, then queued after the commit;
 * - otherwise queued straight to Redis with the whole event (the row is
 *   already committed, so an outbox write would be no more atomic), falling
 *   back to the outbox when Redis is away.
 * Once an event is durable, `exo:event:recorded` is emitted.
 */
export class EventRecorder {
  #buffers = new WeakMap<TransactionClientContract, PendingEvent[]>()

  constructor(
    private outbox: Outbox,
    private queue: PipelineQueue,
    private events: LifecycleEvents
  ) {}

  async record(event: EventRecord, queue: string, trx?: TransactionClientContract | null) {
    if (trx && !trx.isCompleted) {
      this.#bufferFor(trx).push({ event, queue })
      return
    }
    try {
      await this.queue.enqueueEvents([{ queue, payload: { eventId: event.id, event } }])
    } catch (error) {
      debug('queueing %s failed, keeping it in the outbox: %s', event.id, error.message)
      await this.outbox.insert([event])
    }
    await this.#announce([event])
  }

  async #announce(events: EventRecord[]) {
    for (const event of events) {
      await this.events.emit('exo:event:recorded', publicEvent(event))
    }
  }

  #bufferFor(trx: TransactionClientContract): PendingEvent[] {
    let buffer = this.#buffers.get(trx)
    if (buffer) return buffer

    const pending: PendingEvent[] = []
    this.#buffers.set(trx, pending)

    // Lucid has no before-commit hook: wrapping this transaction's commit writes
    // the buffered rows as its last statement, so they commit or roll back with it.
    const commit = trx.commit.bind(trx)
    trx.commit = async () => {
      await this.outbox.insert(
        pending.map(({ event }) => event),
        trx
      )
      await commit()
    }
    // Errors here are swallowed by Lucid; the rows stay undispatched for the sweeper.
    trx.after('commit', () => this.#enqueueCommitted(pending))
    return pending
  }

  async #enqueueCommitted(pending: PendingEvent[]) {
    try {
      await this.queue.enqueueEvents(
        pending.map(({ event, queue }) => ({ queue, payload: { eventId: event.id } }))
      )
    } catch (error) {
      debug('queueing committed events failed, the sweeper will: %s', error.message)
    }
    await this.#announce(pending.map(({ event }) => event))
  }
}
