import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * A subscription's filter: conditions on the payload an event must meet to
 * be sent there, as JSON text like the table's other JSON columns (at most
 * 4 KiB, validated by the API); null sends every event.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('exo_subscriptions', (table) => {
      table.text('filter').nullable()
    })
  }

  async down() {
    this.schema.alterTable('exo_subscriptions', (table) => {
      table.dropColumn('filter')
    })
  }
}
