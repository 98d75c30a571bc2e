import { DateTime } from 'luxon'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { Webhookable } from 'adonis-exo'

export default class Order extends compose(BaseModel, Webhookable) {
  static resource = 'order'
  static triggers() {
    return ['on_create', 'on_update', 'on_delete'] as const
  }
  static ownerColumn = 'userId'
  static webhookEvents = {
    shipped: {
      description: 'The order left the warehouse',
      schema: {
        type: 'object',
        required: ['id', 'total'],
        properties: {
          id: { type: 'integer' },
          total: { type: 'integer' },
          carrier: { type: 'string', enum: ['UPS', 'DHL'] },
        },
      },
    },
    refunded: { description: 'Money went back to the customer' },
  }

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare userId: number

  @column()
  declare total: number

  @column()
  declare status: string

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  toWebhookPayload() {
    return {
      id: this.id,
      total: this.total,
      status: this.status,
      created_at: this.createdAt,
    }
  }
}
