import type { Database } from '@adonisjs/lucid/database'
import { systemClock, type Clock } from '../clock.js'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import { CHARS_PER_STATEMENT, chunks, ROWS_PER_INSERT } from '../batcher.js'
import { updateChangedRows } from '../models/changed_rows.js'
import { dbTime } from '../models/db_time.js'
import type { EventRecord } from '../types.js'
import { OutboxBatches } from './outbox_batches.js'

const TABLE = 'exo_events'

/**
 * The outbox row of an event; `dispatchedAt` when it is written fanned out.
 */
export function outboxRow(event: EventRecord, now: string, dispatchedAt: string | null = null) {
  return {
    id: event.id,
    resource: event.resource,
    event: event.event,
    data: event.data,
    owner_id: event.ownerId,
    environment: event.environment,
    occurred_at: event.occurredAt,
    dispatched_at: dispatchedAt,
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
 * fanned out to its subscriptions yet; nor have the events of a batch, which
 * transactions write.
 */
export class Outbox {
  readonly batches: OutboxBatches

  constructor(
    private db: Database,
    private clock: Clock = systemClock
  ) {
    this.batches = new OutboxBatches(db, clock)
  }

  /** The clock's time as `client`'s dialect stores it */
  now(client: QueryClientContract) {
    return dbTime(client, this.clock.now())
  }

  #client(client?: QueryClientContract) {
    return client ?? this.db.connection()
  }

  /**
   * Writes events, a few hundred (or a few MiB) per INSERT; ids already
   * present are left alone. PostgreSQL takes each INSERT's rows as one JSON parameter.
   */
  async insert(events: EventRecord[], client?: QueryClientContract) {
    const query = this.#client(client)
    const now = this.now(query)
    const limits = {
      count: ROWS_PER_INSERT,
      weight: { max: CHARS_PER_STATEMENT, of: (event: EventRecord) => event.data.length },
    }
    for (const part of chunks(events, limits)) {
      const rows = part.map((event) => outboxRow(event, now))
      if (query.dialect.name === 'postgres') {
        await query.rawQuery(
          `insert into ${TABLE} select * from json_populate_recordset(null::${TABLE}, ?::json)
           on conflict (id) do nothing`,
          [JSON.stringify(rows)]
        )
      } else {
        await query.knexQuery().table(TABLE).insert(rows).onConflict('id').ignore()
      }
    }
  }

  /**
   * Marks the events as fanned out and returns the ids of those this call
   * claimed: not those that do not exist (rolled back) or that another
   * worker claimed.
   */
  async claim(ids: string[], trx: QueryClientContract): Promise<string[]> {
    const claimed = await updateChangedRows(
      trx,
      TABLE,
      [...new Set(ids)],
      (query) => query.whereNull('dispatched_at'),
      { dispatched_at: this.now(trx) }
    )
    return claimed.map((row) => row.id)
  }

  /**
   * The events among `ids` not fanned out yet.
   */
  async undispatched(ids: string[], client?: QueryClientContract): Promise<EventRecord[]> {
    if (ids.length === 0) return []
    const rows = await this.#client(client)
      .knexQuery()
      .table(TABLE)
      .whereIn('id', ids)
      .whereNull('dispatched_at')
    return rows.map(fromRow)
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
  async leftBehind(before: Date, limit: number): Promise<{ id: string; resource: string }[]> {
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
