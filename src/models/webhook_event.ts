import { column } from '@adonisjs/lucid/orm'
import type { DateTime } from 'luxon'
import type { EventRecord } from '../types.js'
import { ExoBaseModel } from './exo_base_model.js'

/**
 * A recorded change of a resource (the outbox row). Immutable once written.
 */
export class WebhookEvent extends ExoBaseModel {
  static table = 'exo_events'
  /** Ids are ULIDs the package assigns: what the database answers on insert is not the id */
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare resource: string

  @column()
  declare event: EventRecord['event']

  /** The payload's `data` as JSON text, sent byte for byte on every attempt */
  @column()
  declare data: string

  @column()
  declare ownerId: string | null

  @column()
  declare environment: string

  @column()
  declare occurredAt: string

  @column.dateTime()
  declare dispatchedAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime
}
