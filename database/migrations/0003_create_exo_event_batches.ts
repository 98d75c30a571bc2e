import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The outbox of transactions: the events a transaction records are written
 * in it as one row per fan-out job (up to 500 events, as JSON), not one row
 * each, since that write is part of the app's transaction. The fan-out
 * moves them to `exo_events` and deletes the row; the sweeper queues rows
 * left behind. The table holds only events on their way, so it needs no
 * index of its own.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('exo_event_batches', (table) => {
      // The id of its first event, which its fan-out job's id is too
      table.string('id', 40).primary()
      table.text('events', 'longtext').notNullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
    })
  }

  async down() {
    this.schema.dropTable('exo_event_batches')
  }
}
