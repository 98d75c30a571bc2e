import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * A subscription's rate limit: at most this many requests a second to its
 * URL, across all workers; null sends as fast as the workers go.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('exo_subscriptions', (table) => {
      table.integer('rate_limit').nullable()
    })
  }

  async down() {
    this.schema.alterTable('exo_subscriptions', (table) => {
      table.dropColumn('rate_limit')
    })
  }
}
