import type { Database } from '@adonisjs/lucid/database'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
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
   * Writes events in one statement; ids already present are left alone.
   */
  async insert(events: EventRecord[], client?: QueryClientContract) {
    if (events.length === 0) return
    const query = this.#client(client)
    const now = dbTime(query)
    await query
      .knexQuery()
      .table(TABLE)
      .insert(events.map((event) => toRow(event, now)))
      .onConflict('id')
      .ignore()
  }

  /**
   * Marks the event as fanned out and returns it, or returns null when it
   * does not exist (rolled back) or another worker already claimed it.
   */
  async claim(id: string, trx: QueryClientContract): Promise<EventRecord | null> {
    const claimed = await trx
      .knexQuery()
      .table(TABLE)
      .where('id', id)
      .whereNull('dispatched_at')
      .update({ dispatched_at: dbTime(trx) })
    if (Number(claimed) !== 1) return null
    const row = await trx.knexQuery().table(TABLE).where('id', id).first()
    return row ? fromRow(row) : null
  }

  async find(id: string, client?: QueryClientContract): Promise<EventRecord | null> {
    const row = await this.#client(client).knexQuery().table(TABLE).where('id', id).first()
    return row ? fromRow(row) : null
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
