import type { NormalizeConstructor } from '@adonisjs/core/types/helpers'
import type { BaseModel } from '@adonisjs/lucid/orm'
import type { LucidRow } from '@adonisjs/lucid/types/model'
import type { Exo } from '../exo.js'
import type { DomainEventDeclaration, Duration, JsonSchema, Trigger } from '../types.js'

/**
 * Keys changed by the save in progress, taken in the before-update hook
 * because Lucid has cleared `$dirty` by the time after-hooks run.
 */
const pendingChanges = new WeakMap<LucidRow, string[]>()

/**
 * The app's Exo, resolved once, since the hooks run on every save: once it
 * is, recording is synchronous, and a save waits for no extra promise.
 */
let manager: Exo | undefined

function record(row: LucidRow, trigger: Trigger) {
  if (manager) return manager.record(row, trigger)
  return import('../../services/main.js').then(({ default: exo }) => {
    manager = exo
    return exo.record(row, trigger)
  })
}

/**
 * Turns a Lucid model into a webhook resource: each trigger the model declares
 * becomes an event recorded when a row is created, changed or deleted.
 */
export function Webhookable<Model extends NormalizeConstructor<typeof BaseModel>>(
  superclass: Model
) {
  class WebhookableModel extends superclass {
    /** The name used by the API and in payloads */
    declare static resource: string

    /** The attribute holding the owner's user id, if records have an owner */
    declare static ownerColumn?: string

    /** Queue for this resource's deliveries, when not the configured one */
    declare static webhookQueue?: string

    /** Backoff schedule of this resource's attempts, when not the configured one */
    declare static webhookBackoff?: Duration[]

    /** The domain events the app emits with `exo.emit`, by name */
    declare static webhookEvents?: Record<string, DomainEventDeclaration>

    /** The JSON Schema of the triggers' `data` */
    declare static webhookSchema?: JsonSchema

    static triggers(): readonly Trigger[] {
      return []
    }

    static boot() {
      if (Object.hasOwn(this, 'booted') && this.booted) {
        return
      }
      super.boot()
      this.before('update', (row) => {
        pendingChanges.set(row, Object.keys(row.$dirty))
      })
      this.after('create', (row) => record(row, 'on_create'))
      this.after('update', (row) => {
        const changed = pendingChanges.get(row)
        pendingChanges.delete(row)
        return changed && changed.length > 0 ? record(row, 'on_update') : undefined
      })
      this.after('delete', (row) => record(row, 'on_delete'))
    }

    /**
     * The `data` of the events of this record. Dates are serialized to ISO-8601.
     */
    toWebhookPayload(): Record<string, unknown> {
      return this.serialize()
    }
  }
  return WebhookableModel
}
