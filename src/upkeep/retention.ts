import type { Database } from '@adonisjs/lucid/database'
import { dbTime } from '../models/db_time.js'
import { IDEMPOTENCY_TABLE, IDEMPOTENCY_WINDOW_MS } from '../subscriptions/idempotent_creates.js'

/**
 * Deletes the activity log and the events older than the retention, and the
 * idempotency keys past their 24 hours. Events still waiting for fan-out or
 * with pending attempts are kept.
 */
export async function pruneOlderThan(db: Database, retentionMs: number, now = Date.now()) {
  const client = db.connection()
  const before = dbTime(client, now - retentionMs)
  const deliveries = await client
    .from('exo_deliveries')
    .where('created_at', '<', before)
    .whereNot('status', 'pending')
    .delete()
  const events = await client
    .from('exo_events')
    .where('created_at', '<', before)
    .whereNotNull('dispatched_at')
    .whereNotExists((query) =>
      query.from('exo_deliveries').whereRaw('exo_deliveries.event_id = exo_events.id')
    )
    .delete()
  const idempotencyKeys = await client
    .from(IDEMPOTENCY_TABLE)
    .where('created_at', '<=', dbTime(client, now - IDEMPOTENCY_WINDOW_MS))
    .delete()
  return {
    deliveries: Number(deliveries),
    events: Number(events),
    idempotencyKeys: Number(idempotencyKeys),
  }
}
