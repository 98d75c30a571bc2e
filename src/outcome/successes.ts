import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import { updateChangedRows, valuePerId } from '../models/changed_rows.js'
import { dbTime } from '../models/db_time.js'
import { retryingDeadlocks } from '../models/deadlocks.js'

/** What a successful attempt's row gets */
export interface SuccessRecord {
  id: string
  http_status: number
  duration_ms: number
  request_headers: string
  response_headers: string
  response_body: string
}

/**
 * Completes successful attempts, those still pending, and resets their
 * subscriptions' failure counts; returns the ids it completed. PostgreSQL
 * does both in one statement reading the rows as one JSON parameter; the
 * other dialects take two, with a `CASE` per column.
 */
export async function completeSuccesses(
  client: QueryClientContract,
  successes: SuccessRecord[],
  completedAt: number
): Promise<Set<string>> {
  const now = dbTime(client, completedAt)
  if (client.dialect.name === 'postgres') {
    const result = await retryingDeadlocks(() =>
      client.rawQuery(
        `with completed as (
         update exo_deliveries as attempt
         set status = 'success', http_status = outcome.http_status,
           duration_ms = outcome.duration_ms, request_headers = outcome.request_headers,
           response_headers = outcome.response_headers, response_body = outcome.response_body,
           completed_at = ?
         from json_populate_recordset(null::exo_deliveries, ?::json) as outcome
         where attempt.id = outcome.id and attempt.status = 'pending'
         returning attempt.id, attempt.subscription_id
       ), reset as (
         update exo_subscriptions set failure_count = 0, last_delivered_at = ?
         where id in (select subscription_id from completed)
       )
       select id from completed`,
        [now, JSON.stringify(successes), now]
      )
    )
    return new Set(result.rows.map((row: { id: string }) => row.id))
  }

  const perAttempt = (column: keyof SuccessRecord, type: 'text' | 'integer') =>
    valuePerId(client, new Map(successes.map((success) => [success.id, success[column]])), type)
  const completed = await updateChangedRows(
    client,
    'exo_deliveries',
    successes.map((success) => success.id),
    (query) => query.where('status', 'pending'),
    {
      status: 'success',
      http_status: perAttempt('http_status', 'integer'),
      duration_ms: perAttempt('duration_ms', 'integer'),
      request_headers: perAttempt('request_headers', 'text'),
      response_headers: perAttempt('response_headers', 'text'),
      response_body: perAttempt('response_body', 'text'),
      completed_at: now,
    },
    ['id', 'subscription_id']
  )
  if (completed.length > 0) {
    await retryingDeadlocks(() =>
      client
        .from('exo_subscriptions')
        .whereIn('id', [...new Set(completed.map((row) => row.subscription_id))])
        .update({ failure_count: 0, last_delivered_at: now })
    )
  }
  return new Set(completed.map((row) => row.id))
}
