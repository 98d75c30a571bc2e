import { DateTime } from 'luxon'
import { compose } from '@adonisjs/core/helpers'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { Webhookable } from 'adonis-exo'
import env from '#start/env'

/**
 * A resource that declares only `on_delete`: creating or changing a note sends
 * nothing. Its deliveries follow a backoff of their own, on a queue of their own,
 * and its data a schema of its own.
 */
export default class Note extends compose(BaseModel, Webhookable) {
  static resource = 'note'
  static triggers() {
    return ['on_delete'] as const
  }
  static webhookSchema = {
    type: 'object',
    required: ['id', 'body'],
    properties: { id: { type: 'integer' }, body: { type: 'string' } },
  }
  static webhookBackoff = ['0s', '1s']
  static webhookQueue = `${env.get('EXO_QUEUE', 'exo-webhooks')}-notes`

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare body: string

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime
}
