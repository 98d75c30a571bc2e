import { DateTime } from 'luxon'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { Webhookable } from 'adonis-exo'

/**
 * The resource of the smoke test: each order created becomes an `on_create` webhook
 */
export default class Order extends compose(BaseModel, Webhookable) {
  static resource = 'order'
  static triggers() {
    return ['on_create', 'on_update'] as const
  }
  static ownerColumn = 'userId'

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare userId: number

  @column()
  declare total: number

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime | null

  toWebhookPayload() {
    return { id: this.id, total: this.total }
  }
}
