import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The tables of adonis-exo: subscriptions, the event outbox, one row per
 * delivery attempt, and the API tokens of the package's own guard.
 * Columns that can outgrow MySQL's 64 KiB TEXT are mediumtext (plain text
 * on the other dialects).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('exo_subscriptions', (table) => {
      table.bigIncrements('id')
      table.bigInteger('user_id').notNullable().index()
      table.string('name', 255).notNullable()
      table.text('description').nullable()
      table.string('url', 2048).notNullable()
      table.string('resource', 100).notNullable()
      table.text('events').notNullable()
      table.boolean('is_active').notNullable().defaultTo(true)
      table.text('headers', 'mediumtext').notNullable()
      table.text('auth').nullable()
      table.text('secret_header').nullable()
      table.text('notification_emails').notNullable()
      table.text('environments').notNullable()
      table.text('metadata').notNullable()
      table.string('webhook_version', 20).notNullable()
      table.text('secret').notNullable()
      table.string('secret_hint', 8).notNullable()
      table.text('previous_secret').nullable()
      table.timestamp('previous_secret_expires_at', { useTz: true }).nullable()
      table.integer('failure_count').notNullable().defaultTo(0)
      table.timestamp('last_delivered_at', { useTz: true }).nullable()
      table.timestamp('disabled_at', { useTz: true }).nullable()
      table.string('disabled_reason', 255).nullable()
      table.bigInteger('updated_by').nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()
      table.index(['resource', 'is_active'])
    })

    this.schema.createTable('exo_events', (table) => {
      table.string('id', 40).primary()
      table.string('resource', 100).notNullable()
      table.string('event', 40).notNullable()
      table.text('data', 'mediumtext').notNullable()
      table.string('owner_id', 64).nullable()
      table.string('environment', 40).notNullable()
      table.string('occurred_at', 32).notNullable()
      table.timestamp('dispatched_at', { useTz: true }).nullable().index()
      table.timestamp('created_at', { useTz: true }).notNullable().index()
    })

    this.schema.createTable('exo_deliveries', (table) => {
      table.string('id', 40).primary()
      table
        .bigInteger('subscription_id')
        .unsigned()
        .notNullable()
        .references('id')
        .inTable('exo_subscriptions')
        .onDelete('CASCADE')
      table.string('event_id', 40).notNullable().index()
      table.integer('attempt').notNullable()
      table.string('status', 16).notNullable()
      table.integer('http_status').nullable()
      table.text('error').nullable()
      table.integer('duration_ms').nullable()
      table.text('request_headers', 'mediumtext').nullable()
      table.text('response_headers').nullable()
      table.text('response_body', 'mediumtext').nullable()
      table.timestamp('scheduled_at', { useTz: true }).notNullable()
      table.timestamp('started_at', { useTz: true }).nullable()
      table.timestamp('completed_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable()
      // The activity log's pages, newest first, and filtered by status
      table.index(['subscription_id', 'id'])
      table.index(['subscription_id', 'status', 'id'])
      table.index(['status', 'scheduled_at'])
    })

    this.schema.createTable('exo_api_tokens', (table) => {
      table.increments('id')
      table.bigInteger('tokenable_id').notNullable().index()
      table.string('type').notNullable()
      table.string('name').nullable()
      table.string('hash').notNullable()
      table.text('abilities').notNullable()
      table.timestamp('created_at', { useTz: true })
      table.timestamp('updated_at', { useTz: true })
      table.timestamp('last_used_at', { useTz: true }).nullable()
      table.timestamp('expires_at', { useTz: true }).nullable()
    })
  }

  async down() {
    this.schema.dropTable('exo_deliveries')
    this.schema.dropTable('exo_events')
    this.schema.dropTable('exo_subscriptions')
    this.schema.dropTable('exo_api_tokens')
  }
}
