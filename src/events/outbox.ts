import type { Database } from '@adonisjs/lucid/database'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import { chunks, ROWS_PER_INSERT } from '../batcher.js'
import { updateChangedRows } from '../models/changed_rows.js'
import { dbTime } from '../models/db_time.js'
import type { EventRecord } from '../types.js'

const TABLE = 'exo_events'

function toRow(event: EventRecord, now: string) {
  return {
    id: event.id,
    resource: event.resource,
    event: event.event,
    data: event.data,
    owner_id: event.ownerId,
    environment: event.environment,
    occurred_at: event.occurredAt,
    dispatched_at: null,
    created_at: now,
  }
}

function fromRow(row: Record<string, any>): EventRecord {
  return {
    id: row.id,
    resource: row.resource,
    event: row.event,
    data: row.data,
    ownerId: row.owner_id,
    environment: row.environment,
    occurredAt: row.occurred_at,
  }
}

/**
 * The durable record of events. A row without `dispatched_at` has not been
 * fanned out to its subscriptions yet.
 */
export class Outbox {
  constructor(private db: Database) {}

  #client(client?: QueryClientContract) {
    return client ?? this.db.connection()
  }

  /**
   * Writes events, a thousand per statement; ids already present are left alone.
   */
  async insert(events: EventRecord[], client?: QueryClientContract) {
    const query = this.#client(client)
    const now = dbTime(query)
    for (const part of chunks(events, ROWS_PER_INSERT)) {
      await query
        .knexQuery()
        .table(TABLE)
        .insert(part.map((event) => toRow(event, now)))
        .onConflict('id')
        .ignore()
    }
  }

  /**
   * Marks the events as fanned out and returns those this call claimed:
   * not those that do not exist (rolled back) or that another worker claimed.
   */
  async claim(ids: string[], trx: QueryClientContract): Promise<EventRecord[]> {
    const claimed = await updateChangedRows(
      trx,
      TABLE,
      [...new Set(ids)],
      (query) => query.whereNull('dispatched_at'),
      { dispatched_at: dbTime(trx) },
      ['id', 'resource', 'event', 'data', 'owner_id', 'environment', 'occurred_at']
    )
    return claimed.map(fromRow)
  }

  async find(id: string, client?: QueryClientContract): Promise<EventRecord | null> {
    const [event] = await this.findMany([id], client)
    return event ?? null
  }

  async findMany(ids: string[], client?: QueryClientContract): Promise<EventRecord[]> {
    if (ids.length === 0) return []
    const rows = await this.#client(client).knexQuery().table(TABLE).whereIn('id', ids)
    return rows.map(fromRow)
  }

  /**
   * Events recorded before `before` that were never fanned out.
   */
  async undispatched(before: Date, limit: number): Promise<{ id: string; resource: string }[]> {
    const client = this.#client()
    const rows = await client
      .knexQuery()
      .table(TABLE)
      .select('id', 'resource')
      .whereNull('dispatched_at')
      .where('created_at', '<', dbTime(client, before))
      .orderBy('created_at')
      .limit(limit)
    return rows
  }
}
