import { mkdir, readdir, rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Group } from '@japa/runner/core'
import { Emitter } from '@adonisjs/core/events'
import { AppFactory } from '@adonisjs/core/factories/app'
import { LoggerManager } from '@adonisjs/core/logger'
import type { EmitterService, EventsList, LoggerService } from '@adonisjs/core/types'
import { Database } from '@adonisjs/lucid/database'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import type { BaseSchema } from '@adonisjs/lucid/schema'
import type { ConnectionConfig, QueryClientContract } from '@adonisjs/lucid/types/database'
import { DateTime } from 'luxon'
import { dbTime } from '../../../src/models/db_time.js'
import { outboxRow } from '../../../src/recording/outbox.js'
import type { EventRecord } from '../../../src/types.js'

export type Dialect = 'sqlite' | 'pg' | 'mysql'

const ALL_DIALECTS: Dialect[] = ['sqlite', 'pg', 'mysql']

/**
 * The dialects the database specs run on: all three, or those the
 * comma-separated `EXO_UNIT_DIALECTS` names (`sqlite` needs no server).
 */
export const dialects: Dialect[] = (() => {
  const listed = process.env.EXO_UNIT_DIALECTS?.split(',')
    .map((name) => name.trim())
    .filter(Boolean)
  if (!listed?.length) return ALL_DIALECTS
  for (const name of listed) {
    if (!ALL_DIALECTS.includes(name as Dialect)) {
      throw new Error(`EXO_UNIT_DIALECTS: "${name}" is none of ${ALL_DIALECTS.join(', ')}`)
    }
  }
  return listed as Dialect[]
})()

/** The database of these specs on the servers; `test` belongs to the app suites */
const DATABASE = 'exo_unit'

const ROOT = new URL('../../../', import.meta.url)
const MIGRATIONS = new URL('database/migrations/', ROOT)
const TMP = new URL('tmp/', ROOT)

const app = new AppFactory().create(ROOT)

/**
 * A logger that writes nothing, for Lucid and the package's lifecycle events;
 * typed as the app's, whose list of loggers this one does not declare
 */
export const silentLogger = new LoggerManager({
  default: 'app',
  loggers: { app: { enabled: false } },
}) as LoggerService

/** An emitter as the app's, for Lucid and for listening to the package's lifecycle events */
export function appEmitter(): EmitterService {
  return new Emitter<EventsList>(app)
}

/** How to reach a server's database: the CI's PostgreSQL takes DB_PASSWORD, MariaDB none */
function serverConnection(dialect: 'pg' | 'mysql', database?: string): ConnectionConfig {
  if (dialect === 'pg') {
    return {
      client: 'pg',
      connection: {
        host: '127.0.0.1',
        port: 5432,
        user: 'postgres',
        password: process.env.DB_PASSWORD ?? '',
        database,
      },
    }
  }
  return {
    client: 'mysql2',
    connection: { host: '127.0.0.1', port: 3306, user: 'root', password: '', database },
  }
}

function lucid(name: string, connection: ConnectionConfig) {
  return new Database(
    { connection: name, connections: { [name]: connection } },
    silentLogger,
    appEmitter()
  )
}

/**
 * Creates `exo_unit` on the server unless it exists, from the server's
 * default database.
 */
async function createDatabase(dialect: 'pg' | 'mysql') {
  const server = lucid(
    dialect,
    serverConnection(dialect, dialect === 'pg' ? 'postgres' : undefined)
  )
  try {
    if (dialect === 'mysql') {
      await server.rawQuery(`create database if not exists ${DATABASE}`)
    } else if (!(await server.from('pg_database').where('datname', DATABASE).first())) {
      await server.rawQuery(`create database ${DATABASE}`).catch((error) => {
        // Created meanwhile by another run
        if (error.code !== '42P04' && error.code !== '23505') throw error
      })
    }
  } finally {
    await server.manager.closeAll()
  }
}

/**
 * Drops the package's tables from `exo_unit`, whatever a previous run or
 * another branch left there; the foreign keys between them set aside.
 */
async function dropExoTables(client: QueryClientContract, dialect: 'pg' | 'mysql') {
  const allTables = await client.getAllTables(['public'])
  const tables = allTables.filter((table) => table.startsWith('exo_'))
  if (tables.length === 0) return
  if (dialect === 'pg') {
    await client.rawQuery(`drop table ${tables.map((table) => `"${table}"`).join(', ')} cascade`)
    return
  }
  // A session setting: set, used and reset on the transaction's connection
  await client.transaction(async (trx) => {
    await trx.rawQuery('set foreign_key_checks = 0')
    for (const table of tables) await trx.schema.dropTable(table)
    await trx.rawQuery('set foreign_key_checks = 1')
  })
}

/**
 * Runs the package's migrations in order, as Lucid's migrator does: each in
 * a transaction of its own unless the migration opts out.
 */
async function migrate(client: QueryClientContract) {
  const files = await readdir(MIGRATIONS)
  for (const file of files.filter((name) => name.endsWith('.ts')).sort()) {
    const module: { default: typeof BaseSchema } = await import(new URL(file, MIGRATIONS).href)
    const Migration = module.default
    const up = (db: QueryClientContract) => new Migration(db, file).execUp()
    if (Migration.disableTransactions) await up(client)
    else await client.transaction(up)
  }
}

/**
 * The host app's users as the package reads them: matching gives an admin's
 * subscriptions the events of every record. No one signs in in these specs.
 */
export class User extends BaseModel {
  static table = 'users'

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare email: string

  @column({ consume: (value: unknown) => Boolean(value) })
  declare isAdmin: boolean

  static async verifyCredentials(): Promise<never> {
    throw new Error('No one signs in in the unit specs')
  }
}

/** The table of `User`, afresh: not one of the package's, so its migrations do not make it */
async function createUsers(client: QueryClientContract) {
  await client.schema.dropTableIfExists('users')
  await client.schema.createTable('users', (table) => {
    table.bigInteger('id').primary()
    table.string('email', 255).notNullable()
    table.boolean('is_admin').notNullable().defaultTo(false)
  })
}

/** The tables these specs write, those referencing others first */
const WRITTEN_TABLES = [
  'exo_deliveries',
  'exo_event_batches',
  'exo_events',
  'exo_subscriptions',
  'users',
]

let sqliteFiles = 0

/**
 * A real database of one dialect holding the package's schema: a SQLite
 * file of its own under tmp/, or `exo_unit` on PostgreSQL or MariaDB.
 */
export class TestDatabase {
  #db?: Database
  #sqliteFile?: string

  constructor(readonly dialect: Dialect) {}

  get db(): Database {
    if (!this.#db) throw new Error('The test database is open only within its group')
    return this.#db
  }

  get client(): QueryClientContract {
    return this.db.connection()
  }

  /**
   * Opens the database and gives it the package's schema and `users`,
   * afresh; Lucid models (the package's, `User`) query it from now on.
   */
  async open() {
    this.#db = lucid(this.dialect, await this.#connection())
    // A SQLite file is new
    if (this.dialect !== 'sqlite') await dropExoTables(this.client, this.dialect)
    await migrate(this.client)
    await createUsers(this.client)
    BaseModel.useAdapter(this.#db.modelAdapter())
  }

  async #connection(): Promise<ConnectionConfig> {
    if (this.dialect !== 'sqlite') {
      await createDatabase(this.dialect)
      return serverConnection(this.dialect, DATABASE)
    }
    await mkdir(TMP, { recursive: true })
    this.#sqliteFile = fileURLToPath(
      new URL(`exo-unit-${process.pid}-${++sqliteFiles}.sqlite3`, TMP)
    )
    await rm(this.#sqliteFile, { force: true })
    return {
      client: 'better-sqlite3',
      connection: { filename: this.#sqliteFile },
      useNullAsDefault: true,
      pool: {
        // As the app suites open it; commits then wait for no sync of the file
        afterCreate: (connection: any, done: (error: Error | null, connection: any) => void) => {
          connection.pragma('journal_mode = WAL')
          done(null, connection)
        },
      },
    }
  }

  async close() {
    await this.#db?.manager.closeAll()
    this.#db = undefined
    const file = this.#sqliteFile
    if (file) await Promise.all(['', '-wal', '-shm'].map((end) => rm(file + end, { force: true })))
  }

  /** Deletes the rows the specs wrote, keeping the schema */
  async empty() {
    for (const table of WRITTEN_TABLES) await this.db.from(table).delete()
  }

  /** A time as this dialect stores it */
  time(millis: number) {
    return dbTime(this.client, millis)
  }

  /** One row, by id */
  row(table: string, id: string | number): Promise<Record<string, any> | null> {
    return this.db.from(table).where('id', id).first()
  }

  /**
   * A subscription with the columns the recorder and the sweeper read; its
   * secret is never decrypted here, so any text does.
   */
  async addSubscription(id: number, columns: Record<string, unknown> = {}) {
    const created = this.time(Date.UTC(2026, 0, 1))
    await this.db.table('exo_subscriptions').insert({
      id,
      user_id: 1,
      name: `Subscription ${id}`,
      url: `https://receiver.test/hooks/${id}`,
      resource: 'orders',
      events: '["on_create"]',
      headers: '{}',
      notification_emails: '[]',
      environments: '[]',
      metadata: '{}',
      webhook_version: '1',
      secret: 'not decrypted by these specs',
      secret_hint: 'whsec',
      created_at: created,
      updated_at: created,
      ...columns,
    })
  }

  /** A user of the host app, an admin if told */
  async addUser(id: number, { isAdmin = false } = {}) {
    await this.db.table('users').insert({ id, email: `user${id}@shop.test`, is_admin: isAdmin })
  }

  /** An event in the outbox, written `createdAt`, fanned out at `dispatchedAt` if given */
  async addEvent(
    event: Partial<EventRecord> & { id: string },
    createdAt: number,
    dispatchedAt?: number
  ) {
    const row = outboxRow(
      eventRecord(event),
      this.time(createdAt),
      dispatchedAt === undefined ? null : this.time(dispatchedAt)
    )
    await this.db.table('exo_events').insert(row)
  }

  /** A transaction's batch of events in the outbox, written `createdAt` */
  async addEventBatch(events: (Partial<EventRecord> & { id: string })[], createdAt: number) {
    await this.db.table('exo_event_batches').insert({
      id: events[0].id,
      events: JSON.stringify(events.map(eventRecord)),
      created_at: this.time(createdAt),
    })
  }

  /** An attempt, pending unless `columns` says otherwise, carried by a job of its own id */
  async addAttempt(
    attempt: { id: string; subscriptionId: number; eventId: string; attempt?: number },
    scheduledAt: number,
    columns: Record<string, unknown> = {}
  ) {
    await this.db.table('exo_deliveries').insert({
      id: attempt.id,
      subscription_id: attempt.subscriptionId,
      event_id: attempt.eventId,
      attempt: attempt.attempt ?? 1,
      status: 'pending',
      job_id: attempt.id,
      scheduled_at: this.time(scheduledAt),
      created_at: this.time(scheduledAt),
      ...columns,
    })
  }
}

/** An event as the recorder makes it: an `orders` creation in `test` unless told */
export function eventRecord(event: Partial<EventRecord> & { id: string }): EventRecord {
  return {
    resource: 'orders',
    event: 'on_create',
    data: '{"id":1}',
    ownerId: null,
    environment: 'test',
    occurredAt: '2026-01-15T12:00:00.000000Z',
    ...event,
  }
}

/**
 * A time as the database gives it back, in milliseconds: PostgreSQL and
 * MariaDB give a Date, SQLite the text it was written as (local time).
 */
export function millisOf(value: Date | string | null): number | null {
  if (value === null) return null
  if (value instanceof Date) return value.getTime()
  return DateTime.fromFormat(value, 'yyyy-MM-dd HH:mm:ss').toMillis()
}

/**
 * The group's database, opened with a fresh schema before its first test
 * and closed after its last; every test starts from empty tables.
 */
export function databaseOfGroup(group: Group, dialect: Dialect) {
  const database = new TestDatabase(dialect)
  group.setup(async () => {
    try {
      await database.open()
    } catch (error) {
      await database.close()
      throw error
    }
    return () => database.close()
  })
  group.each.setup(() => database.empty())
  return database
}
