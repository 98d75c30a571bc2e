import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import { systemClock, type Clock } from '../clock.js'
import { chunks, groupBy, ROWS_PER_INSERT } from '../batcher.js'
import type { DeliveryJob } from '../queue/pipeline_queue.js'
import { updateChangedRows } from '../models/changed_rows.js'
import { dbTime } from '../models/db_time.js'
import { prefixedUlid } from '../ids.js'
import type { WebhookSubscription } from '../models/webhook_subscription.js'
import type { EventRecord } from '../types.js'

/** An attempt marked as being sent, with what sending it takes */
export interface StartedAttempt {
  delivery: AttemptRow
  subscription: WebhookSubscription
  event: EventRecord
}

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

/** An `exo_deliveries` row as an attempt is first written */
export type AttemptRecord = ReturnType<typeof attemptRecord>

function attemptRecord(
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
  constructor(private clock: Clock = systemClock) {}

  /**
   * Writes pending attempts, a few hundred per statement, and returns the jobs
   * that are to carry them: those of a queue due at once share jobs.
   */
  async schedule(
    attempts: ScheduledAttempt[],
    client: QueryClientContract
  ): Promise<DeliveryJob[]> {
    const { rows, jobs } = this.rowsAndJobs(attempts, client)
    await this.insert(rows, client)
    return jobs
  }

  /**
   * The rows of new attempts and the jobs to carry them, not written yet.
   * Attempts `sentByCaller` are those the caller sends itself once their
   * rows are written: marked as being sent, they need no job, and should the
   * caller stop before their outcome, a run again of its job or the sweeper
   * finds them begun.
   */
  rowsAndJobs(
    attempts: ScheduledAttempt[],
    client: QueryClientContract,
    { sentByCaller = false } = {}
  ) {
    const now = this.clock.now()
    const createdAt = dbTime(client, now)
    const jobs: DeliveryJob[] = []
    const rows: AttemptRecord[] = []
    const planned = new Map<ScheduledAttempt, AttemptRow>()
    const groups = groupBy(attempts, (attempt) => `${attempt.delay}:${attempt.queue}`)
    for (const group of groups.values()) {
      const { queue, delay } = group[0]
      const scheduledAt = dbTime(client, now + delay)
      for (const part of chunks(group, sentByCaller ? group.length : ATTEMPTS_PER_JOB)) {
        const ids = part.map(() => newAttemptId())
        if (!sentByCaller) jobs.push({ id: ids[0], queue, delay, deliveryIds: ids })
        part.forEach((attempt, index) => {
          planned.set(attempt, { ...attempt, id: ids[index] })
          rows.push(
            attemptRecord(ids[index], attempt, {
              createdAt,
              scheduledAt,
              ...(sentByCaller ? { startedAt: createdAt } : { jobId: ids[0] }),
            })
          )
        })
      }
    }
    return { rows, jobs, attempts: attempts.map((attempt) => planned.get(attempt)!) }
  }

  async insert(rows: AttemptRecord[], client: QueryClientContract) {
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
      { started_at: dbTime(client, this.clock.now()) },
      ATTEMPT_COLUMNS
    )
    return rows.map(attemptFromRow)
  }

  /**
   * Puts an attempt marked as being sent back to pending, due in `delay` ms
   * in a job of its own, which it returns for the caller to queue; null
   * when the attempt is no longer pending. The job's id is new: the one
   * that brought the attempt is still running.
   */
  async putBack(
    attempt: AttemptRow,
    queue: string,
    delay: number,
    client: QueryClientContract
  ): Promise<DeliveryJob | null> {
    const job: DeliveryJob = { id: prefixedUlid('wait'), queue, delay, deliveryIds: [attempt.id] }
    const changed = await client
      .from('exo_deliveries')
      .where('id', attempt.id)
      .where('status', 'pending')
      .update({
        started_at: null,
        job_id: job.id,
        scheduled_at: dbTime(client, this.clock.now() + delay),
      })
    return Number(changed) === 1 ? job : null
  }

  /**
   * Leaves a begun attempt pending and not begun, for the job of its own,
   * named after it, that carries it from now on.
   */
  async handOver(attemptId: string, client: QueryClientContract) {
    await client
      .from('exo_deliveries')
      .where('id', attemptId)
      .where('status', 'pending')
      .update({ started_at: null, job_id: attemptId })
  }

  /**
   * The attempts of these events that a fan-out began and never completed:
   * pending, marked as being sent, and carried by no job.
   */
  async startedByFanOut(eventIds: string[], client: QueryClientContract): Promise<string[]> {
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
   * How many attempts are pending: scheduled, due or being sent (an index
   * holds them).
   */
  async countPending(client: QueryClientContract): Promise<number> {
    const row = await client
      .from('exo_deliveries')
      .where('status', 'pending')
      .count('* as total')
      .first()
    return Number(row?.total ?? 0)
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
