import type { Database } from '@adonisjs/lucid/database'
import { dbTime } from '../models/db_time.js'

/**
 * Deletes the activity log and the events older than the retention. Events
 * still waiting for fan-out or with pending attempts are kept.
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
  return { deliveries: Number(deliveries), events: Number(events) }
}
