import type { Database } from '@adonisjs/lucid/database'
import type { AttemptLog, AttemptRecord } from '../delivery/attempt_log.js'
import { retryingDeadlocks } from '../models/deadlocks.js'
import type { EventRecord } from '../types.js'
import { outboxRow, type Outbox } from '../recording/outbox.js'

export interface FanOutWrite {
  events: EventRecord[]
  /** Outbox batches the events were read from, deleted now that `exo_events` has them */
  batchIds: string[]
  attempts: AttemptRecord[]
}

/**
 * The fan-out's one write, all or nothing: claims the events (writing, as
 * claimed, those the outbox does not have yet), deletes their batches and
 * writes the attempts of the events this call claimed. Returns the ids of
 * those events. On PostgreSQL it is one statement, its rows passed as JSON;
 * elsewhere a transaction of four. Either is run again when it loses a deadlock.
 */
export async function claimAndWrite(
  db: Database,
  outbox: Outbox,
  attempts: AttemptLog,
  { events, batchIds, attempts: rows }: FanOutWrite
): Promise<Set<string>> {
  const client = db.connection()
  if (client.dialect.name === 'postgres') {
    const now = outbox.now(client)
    // Saves outside transactions have no batch: a statement without the
    // delete takes them about a tenth less time
    const moved =
      batchIds.length > 0
        ? `, moved as (
             delete from exo_event_batches where id in (select json_array_elements_text(?::json))
           )`
        : ''
    const result = await retryingDeadlocks(() =>
      client.rawQuery(
        `with claimed as (
         insert into exo_events
         select * from json_populate_recordset(null::exo_events, ?::json)
         on conflict (id) do update set dispatched_at = excluded.dispatched_at
         where exo_events.dispatched_at is null
         returning id
       ), written as (
         insert into exo_deliveries
         select * from json_populate_recordset(null::exo_deliveries, ?::json) as attempt
         where attempt.event_id in (select id from claimed)
       )${moved}
       select id from claimed`,
        [
          JSON.stringify(events.map((event) => outboxRow(event, now, now))),
          JSON.stringify(rows),
          ...(batchIds.length > 0 ? [JSON.stringify(batchIds)] : []),
        ]
      )
    )
    return new Set(result.rows.map((row: { id: string }) => row.id))
  }
  return retryingDeadlocks(() =>
    db.transaction(async (trx) => {
      await outbox.insert(events, trx)
      const claimed = new Set(
        await outbox.claim(
          events.map((event) => event.id),
          trx
        )
      )
      await attempts.insert(
        rows.filter((row) => claimed.has(row.event_id)),
        trx
      )
      await outbox.batches.delete(batchIds, trx)
      return claimed
    })
  )
}
