import { debuglog } from 'node:util'
import type { Database } from '@adonisjs/lucid/database'
import { systemClock, type Clock } from '../clock.js'
import { dbTime } from '../models/db_time.js'
import type { PipelineQueue } from '../queue/pipeline_queue.js'
import type { Outbox } from '../recording/outbox.js'

const debug = debuglog('adonis-exo')

export interface SweeperOptions {
  /** How long an event may wait in the outbox before the sweeper queues it */
  eventGrace: number
  /** How long past due a pending attempt may be before the sweeper queues it again */
  attemptGrace: number
  batchSize: number
}

/**
 * Makes up for what Redis lost or never got: events left in the outbox or
 * its batches (Redis down at record time, worker killed before fan-out) and
 * attempts whose job is gone. Queueing reuses the job ids, so anything still
 * queued is not queued twice, and handlers skip work already done.
 */
export class Sweeper {
  constructor(
    private db: Database,
    private outbox: Outbox,
    private queue: PipelineQueue,
    private queueFor: (resource: string) => Promise<string>,
    private options: SweeperOptions,
    private clock: Clock = systemClock
  ) {}

  #timer?: NodeJS.Timeout

  /**
   * Sweeps every `intervalMs` in whichever process holds the lock.
   */
  start(queue: string, intervalMs: number) {
    this.#timer ??= setInterval(async () => {
      try {
        if (await this.queue.tryLock(queue, 'sweeper', intervalMs - 100)) await this.sweep()
      } catch (error) {
        debug('sweep failed, next round will retry: %s', error.message)
      }
    }, intervalMs).unref()
  }

  stop() {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  async sweep(now = this.clock.now()) {
    const before = new Date(now - this.options.eventGrace)
    const events = await this.outbox.leftBehind(before, this.options.batchSize)
    const batches = await this.outbox.batches.leftBehind(before, this.options.batchSize)
    // A job of its own per event or batch: one still waiting is not queued twice,
    // and one that fails for good is removed so that the next sweep queues it again
    const jobs = [
      ...events.map((event) => ({
        resource: event.resource,
        payload: { eventIds: [event.id] },
        jobId: `swept-${event.id}`,
      })),
      ...batches.map((batch) => ({
        resource: batch.events[0].resource,
        payload: { batchId: batch.id, eventIds: batch.events.map((event) => event.id) },
        jobId: `swept-${batch.id}`,
      })),
    ]
    await this.queue.enqueueFanOut(
      await Promise.all(
        jobs.map(async ({ resource, ...job }) => ({ queue: await this.queueFor(resource), ...job }))
      ),
      { removeOnFail: true }
    )
    const sweptEvents = events.length + batches.reduce((sum, batch) => sum + batch.events.length, 0)

    const client = this.db.connection()
    const attempts = await client
      .from('exo_deliveries')
      .join('exo_events', 'exo_events.id', 'exo_deliveries.event_id')
      .select('exo_deliveries.id', 'exo_deliveries.job_id', 'exo_events.resource')
      // A literal, so that the planner sees the partial index's predicate
      .whereRaw(`exo_deliveries.status = 'pending'`)
      .where('exo_deliveries.scheduled_at', '<', dbTime(client, now - this.options.attemptGrace))
      .orderBy('exo_deliveries.scheduled_at')
      .limit(this.options.batchSize)
    await this.queue.requeueAttempts(
      await Promise.all(
        attempts.map(async (attempt: { id: string; job_id: string | null; resource: string }) => ({
          id: attempt.id,
          jobId: attempt.job_id,
          queue: await this.queueFor(attempt.resource),
        }))
      )
    )

    if (sweptEvents || attempts.length) {
      debug('swept %d events and %d attempts', sweptEvents, attempts.length)
    }
    return { events: sweptEvents, attempts: attempts.length }
  }
}
