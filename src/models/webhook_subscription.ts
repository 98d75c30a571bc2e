import { afterDelete, afterSave, beforeCreate, column } from '@adonisjs/lucid/orm'
import type { DateTime } from 'luxon'
import { announceSubscriptionChange } from '../subscriptions/change_announcement.js'
import { generateSecret, maskUrlCredentials, secretHint } from '../subscriptions/secrets.js'
import type { Filter } from '../filters/filter.js'
import type { EventName } from '../types.js'
import { encryptedColumn, jsonColumn } from './columns.js'
import { ExoBaseModel } from './exo_base_model.js'

export type SubscriptionAuth =
  { type: 'basic'; username: string; password: string } | { type: 'bearer'; token: string }

export interface SecretHeader {
  name: string
  value: string
}

/**
 * Attributes holding what API clients sent as JSON. Lucid compares objects
 * with fast-deep-equal, which calls a `toString` or `valueOf` key as a method
 * and takes an `isDirty` key for its own flag: these compare as JSON text.
 */
const JSON_ATTRIBUTES = [
  'events',
  'headers',
  'notificationEmails',
  'environments',
  'metadata',
  'filter',
]

/**
 * An endpoint that receives the events of one resource.
 */
export class WebhookSubscription extends ExoBaseModel {
  static table = 'exo_subscriptions'

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare userId: number

  @column()
  declare name: string

  @column()
  declare description: string | null

  @column()
  declare url: string

  @column()
  declare resource: string

  @column(jsonColumn)
  declare events: EventName[]

  @column({ consume: (value: unknown) => Boolean(value) })
  declare isActive: boolean

  @column(jsonColumn)
  declare headers: Record<string, string>

  @column(encryptedColumn)
  declare auth: SubscriptionAuth | null

  @column(encryptedColumn)
  declare secretHeader: SecretHeader | null

  @column(jsonColumn)
  declare notificationEmails: string[]

  @column(jsonColumn)
  declare environments: string[]

  @column(jsonColumn)
  declare metadata: Record<string, unknown>

  /** Conditions on the payload an event must meet to be sent here; null sends every event */
  @column(jsonColumn)
  declare filter: Filter | null

  /** Requests a second at most to its URL, across all workers; null sends without a limit */
  @column()
  declare rateLimit: number | null

  @column()
  declare webhookVersion: string

  @column({ ...encryptedColumn, serializeAs: null })
  declare secret: string

  @column()
  declare secretHint: string

  @column({ ...encryptedColumn, serializeAs: null })
  declare previousSecret: string | null

  @column.dateTime()
  declare previousSecretExpiresAt: DateTime | null

  @column()
  declare failureCount: number

  @column.dateTime()
  declare lastDeliveredAt: DateTime | null

  @column.dateTime()
  declare disabledAt: DateTime | null

  @column()
  declare disabledReason: string | null

  @column()
  declare updatedBy: number | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  /** The URL as the API and the dashboard show it: credentials in it masked */
  get displayUrl(): string {
    return maskUrlCredentials(this.url)
  }

  get $dirty(): Record<string, any> {
    const keys = JSON_ATTRIBUTES.filter((key) => key in this.$attributes)
    const values = keys.map((key) => [this.$attributes[key], this.$original[key]])
    for (const key of keys) {
      this.$attributes[key] = JSON.stringify(this.$attributes[key])
      this.$original[key] = JSON.stringify(this.$original[key])
    }
    try {
      const dirty = super.$dirty
      keys.forEach((key, index) => {
        if (key in dirty) dirty[key] = values[index][0]
      })
      return dirty
    } finally {
      keys.forEach((key, index) => {
        ;[this.$attributes[key], this.$original[key]] = values[index]
      })
    }
  }

  /** The payload format new subscriptions are fixed to */
  static currentWebhookVersion = '1'

  @beforeCreate()
  static applyDefaults(subscription: WebhookSubscription) {
    subscription.secret ??= generateSecret()
    subscription.secretHint = secretHint(subscription.secret)
    subscription.webhookVersion ??= WebhookSubscription.currentWebhookVersion
    subscription.isActive ??= true
    subscription.failureCount ??= 0
    subscription.headers ??= {}
    subscription.notificationEmails ??= []
    subscription.environments ??= []
    subscription.metadata ??= {}
    subscription.filter ??= null
    subscription.rateLimit ??= null
  }

  @afterSave()
  @afterDelete()
  static announceChange(subscription: WebhookSubscription) {
    return announceSubscriptionChange(subscription.$trx)
  }

  /**
   * The secrets that sign a request now: the current one, then the previous
   * one while its rotation grace period lasts.
   */
  signingSecrets(now = Date.now()): string[] {
    const expiresAt = this.previousSecretExpiresAt?.toMillis() ?? 0
    return this.previousSecret && expiresAt > now
      ? [this.secret, this.previousSecret]
      : [this.secret]
  }
}
