import { column } from '@adonisjs/lucid/orm'
import type { DateTime } from 'luxon'
import type { DeliveryStatus } from '../types.js'
import { jsonColumn } from './columns.js'
import { ExoBaseModel } from './exo_base_model.js'

/**
 * One attempt at sending one event to one subscription.
 */
export class WebhookDelivery extends ExoBaseModel {
  static table = 'exo_deliveries'
  /** Ids are ULIDs the package assigns: what the database answers on insert is not the id */
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @column()
  declare subscriptionId: number

  @column()
  declare eventId: string

  @column()
  declare attempt: number

  @column()
  declare status: DeliveryStatus

  @column()
  declare httpStatus: number | null

  @column()
  declare error: string | null

  @column()
  declare durationMs: number | null

  @column(jsonColumn)
  declare requestHeaders: Record<string, string> | null

  @column(jsonColumn)
  declare responseHeaders: Record<string, string> | null

  @column()
  declare responseBody: string | null

  @column.dateTime()
  declare scheduledAt: DateTime

  /** When a worker began sending it: set once, so a second run knows it was cut short */
  @column.dateTime()
  declare startedAt: DateTime | null

  @column.dateTime()
  declare completedAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime
}
