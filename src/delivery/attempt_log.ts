import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import { chunks, groupBy, ROWS_PER_INSERT } from '../batcher.js'
import type { DeliveryJob } from '../queue/pipeline_queue.js'
import { updateChangedRows } from '../models/changed_rows.js'
import { dbTime } from '../models/db_time.js'
import { prefixedUlid } from '../ids.js'

export interface ScheduledAttempt {
  subscriptionId: number
  eventId: string
  attempt: number
  /** The queue of its job */
  queue: string
  /** How long from now until it is due, in milliseconds */
  delay: number
}

/** What sending an attempt needs of its row */
export interface AttemptRow {
  id: string
  subscriptionId: number
  eventId: string
  attempt: number
}

const ATTEMPT_COLUMNS = ['id', 'subscription_id', 'event_id', 'attempt']

export function attemptFromRow(row: Record<string, any>): AttemptRow {
  return {
    id: row.id,
    subscriptionId: Number(row.subscription_id),
    eventId: row.event_id,
    attempt: Number(row.attempt),
  }
}

/** Attempts scheduled together per delivery job */
export const ATTEMPTS_PER_JOB = 50

export function newAttemptId() {
  return prefixedUlid('dlv')
}

function attemptRow(
  id: string,
  attempt: ScheduledAttempt,
  times: { createdAt: string; scheduledAt: string; startedAt?: string; jobId?: string }
) {
  return {
    id,
    subscription_id: attempt.subscriptionId,
    event_id: attempt.eventId,
    attempt: attempt.attempt,
    status: 'pending',
    job_id: times.jobId ?? null,
    scheduled_at: times.scheduledAt,
    started_at: times.startedAt ?? null,
    created_at: times.createdAt,
  }
}

/**
 * The activity log: one `exo_deliveries` row per attempt, written as
 * `pending` when scheduled and completed once the request is over.
 */
export class AttemptLog {
  /**
   * Writes pending attempts, a thousand per statement, and returns the jobs
   * that are to carry them: those of a queue due at once share jobs.
   */
  async schedule(
    attempts: ScheduledAttempt[],
    client: QueryClientContract
  ): Promise<DeliveryJob[]> {
    const now = Date.now()
    const createdAt = dbTime(client, now)
    const jobs: DeliveryJob[] = []
    const rows: Record<string, unknown>[] = []
    const groups = groupBy(attempts, (attempt) => `${attempt.delay}:${attempt.queue}`)
    for (const group of groups.values()) {
      const { queue, delay } = group[0]
      const scheduledAt = dbTime(client, now + delay)
      for (const part of chunks(group, ATTEMPTS_PER_JOB)) {
        const ids = part.map(() => newAttemptId())
        jobs.push({ id: ids[0], queue, delay, deliveryIds: ids })
        part.forEach((attempt, index) =>
          rows.push(attemptRow(ids[index], attempt, { createdAt, scheduledAt, jobId: ids[0] }))
        )
      }
    }
    await this.#insert(rows, client)
    return jobs
  }

  /**
   * Writes attempts that the caller sends itself once `client`'s transaction
   * commits, marked as being sent: no job carries them, and should the
   * caller stop before their outcome, the sweeper finds them begun.
   */
  async begin(attempts: ScheduledAttempt[], client: QueryClientContract): Promise<AttemptRow[]> {
    const now = dbTime(client)
    const begun = attempts.map((attempt) => ({ ...attempt, id: newAttemptId() }))
    await this.#insert(
      begun.map((attempt) =>
        attemptRow(attempt.id, attempt, { createdAt: now, scheduledAt: now, startedAt: now })
      ),
      client
    )
    return begun
  }

  async #insert(rows: Record<string, unknown>[], client: QueryClientContract) {
    for (const part of chunks(rows, ROWS_PER_INSERT)) {
      await client.insertQuery().table('exo_deliveries').multiInsert(part)
    }
  }

  /**
   * Marks pending attempts as being sent and returns those it marked. A
   * pending one left out was begun by a run before this one, which was cut
   * short (a killed worker, a lost database connection) after the request
   * may have left.
   */
  async start(attemptIds: string[], client: QueryClientContract): Promise<AttemptRow[]> {
    const rows = await updateChangedRows(
      client,
      'exo_deliveries',
      attemptIds,
      (query) => query.where('status', 'pending').whereNull('started_at'),
      { started_at: dbTime(client) },
      ATTEMPT_COLUMNS
    )
    return rows.map(attemptFromRow)
  }

  /**
   * The attempts of these events that a fan-out began and never completed:
   * pending, marked as being sent, and carried by no job.
   */
  async begunByFanOut(eventIds: string[], client: QueryClientContract): Promise<string[]> {
    if (eventIds.length === 0) return []
    const rows = await client
      .from('exo_deliveries')
      .select('id')
      .whereIn('event_id', eventIds)
      .where('status', 'pending')
      .whereNotNull('started_at')
      .whereNull('job_id')
    return rows.map((row) => row.id)
  }

  /**
   * The attempts among `attemptIds` still pending.
   */
  async pending(attemptIds: string[], client: QueryClientContract): Promise<AttemptRow[]> {
    if (attemptIds.length === 0) return []
    const rows = await client
      .from('exo_deliveries')
      .select(ATTEMPT_COLUMNS)
      .whereIn('id', attemptIds)
      .where('status', 'pending')
    return rows.map(attemptFromRow)
  }
}
