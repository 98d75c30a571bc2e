import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The `Idempotency-Key`s of subscription creates, for 24 hours: per API
 * token, the key's SHA-256 (keys compare case-sensitively on every
 * dialect), a keyed digest of the request's body, the subscription made
 * and the first answer, encrypted with the app's key as it holds the
 * secret. The unique index decides between concurrent requests with one
 * key; `exo:prune` deletes rows past their 24 hours.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('exo_idempotency_keys', (table) => {
      table.bigIncrements('id')
      table.bigInteger('token_id').notNullable()
      table.string('key_hash', 64).notNullable()
      table.string('fingerprint', 64).notNullable()
      table.bigInteger('subscription_id').notNullable()
      table.text('response', 'mediumtext').notNullable()
      table.timestamp('created_at', { useTz: true }).notNullable().index()
      table.unique(['token_id', 'key_hash'])
    })
  }

  async down() {
    this.schema.dropTable('exo_idempotency_keys')
  }
}
