import { ulid } from 'ulid'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import { dbTime } from '../models/db_time.js'

export interface ScheduledAttempt {
  subscriptionId: number
  eventId: string
  attempt: number
  /** When the attempt is due, in epoch milliseconds */
  dueAt: number
}

export function newAttemptId() {
  return `dlv_${ulid()}`
}

/**
 * The activity log: one `exo_deliveries` row per attempt, written as
 * `pending` when scheduled and completed once the request is over.
 */
export class AttemptLog {
  /**
   * Writes pending attempts in one statement and returns their ids.
   */
  async schedule(attempts: ScheduledAttempt[], client: QueryClientContract): Promise<string[]> {
    if (attempts.length === 0) return []
    const now = dbTime(client)
    const rows = attempts.map((attempt) => ({
      id: newAttemptId(),
      subscription_id: attempt.subscriptionId,
      event_id: attempt.eventId,
      attempt: attempt.attempt,
      status: 'pending',
      scheduled_at: dbTime(client, attempt.dueAt),
      created_at: now,
    }))
    await client.insertQuery().table('exo_deliveries').multiInsert(rows)
    return rows.map((row) => row.id)
  }

  /**
   * Marks a pending attempt as being sent. False when a run before this one
   * began it already: that run was cut short (a killed worker, a lost database
   * connection) after the request may have left.
   */
  async start(attemptId: string, client: QueryClientContract): Promise<boolean> {
    const changed = await client
      .from('exo_deliveries')
      .where('id', attemptId)
      .where('status', 'pending')
      .whereNull('started_at')
      .update({ started_at: dbTime(client) })
    return Number(changed) === 1
  }
}
