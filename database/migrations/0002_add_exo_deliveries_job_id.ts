import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The queue job that carries each attempt: attempts scheduled together
 * travel in one job, and the sweeper looks the job up before queueing an
 * attempt again, so that a job still waiting is never doubled.
 *
 * The sweeper's index keeps pending attempts only, where the database can
 * (PostgreSQL, SQLite): an attempt leaves it when it completes, instead of
 * every attempt ever made staying in it.
 */
export default class extends BaseSchema {
  #partialIndexes() {
    return this.db.dialect.name !== 'mysql'
  }

  async up() {
    this.schema.alterTable('exo_deliveries', (table) => {
      table.string('job_id', 40).nullable()
      if (this.#partialIndexes()) {
        table.dropIndex(['status', 'scheduled_at'])
        table.index(['scheduled_at'], 'exo_deliveries_pending_index', {
          predicate: this.knex().whereRaw(`status = 'pending'`),
        })
      }
    })
  }

  async down() {
    this.schema.alterTable('exo_deliveries', (table) => {
      table.dropColumn('job_id')
      if (this.#partialIndexes()) {
        table.dropIndex(['scheduled_at'], 'exo_deliveries_pending_index')
        table.index(['status', 'scheduled_at'])
      }
    })
  }
}
