import type { Database } from '@adonisjs/lucid/database'
import { systemClock, type Clock } from '../clock.js'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import { CHARS_PER_STATEMENT, chunks, ROWS_PER_INSERT } from '../batcher.js'
import { dbTime } from '../models/db_time.js'
import type { EventRecord } from '../types.js'

const TABLE = 'exo_event_batches'

/** The events of one fan-out job, identified by the first one's id */
export interface EventBatch {
  id: string
  events: EventRecord[]
}

/**
 * The outbox of transactions: a transaction's events are written as one row
 * per fan-out job instead of one row each, which costs its commit less than
 * half as much. The fan-out moves them to `exo_events` and deletes the row
 * in the same statement.
 */
export class OutboxBatches {
  constructor(
    private db: Database,
    private clock: Clock = systemClock
  ) {}

  async insert(batches: EventBatch[], client: QueryClientContract) {
    const now = dbTime(client, this.clock.now())
    const rows = batches.map(({ id, events }) => ({
      id,
      events: JSON.stringify(events),
      created_at: now,
    }))
    const limits = {
      count: ROWS_PER_INSERT,
      weight: { max: CHARS_PER_STATEMENT, of: (row: { events: string }) => row.events.length },
    }
    for (const part of chunks(rows, limits)) {
      await client.knexQuery().table(TABLE).insert(part)
    }
  }

  /**
   * The events of the batches among `ids` that are still there.
   */
  async events(ids: string[], client: QueryClientContract): Promise<EventRecord[]> {
    if (ids.length === 0) return []
    const rows = await client.knexQuery().table(TABLE).select('events').whereIn('id', ids)
    return rows.flatMap((row: { events: string }) => JSON.parse(row.events))
  }

  /**
   * Deletes the batches, whose events are now in `exo_events`.
   */
  async delete(ids: string[], client: QueryClientContract) {
    if (ids.length === 0) return
    await client.knexQuery().table(TABLE).whereIn('id', ids).delete()
  }

  /**
   * Batches written before `before` and never fanned out.
   */
  async leftBehind(before: Date, limit: number): Promise<EventBatch[]> {
    const client = this.db.connection()
    const rows = await client
      .knexQuery()
      .table(TABLE)
      .where('created_at', '<', dbTime(client, before))
      .orderBy('created_at')
      .limit(limit)
    return rows.map((row: { id: string; events: string }) => ({
      id: row.id,
      events: JSON.parse(row.events),
    }))
  }
}
