import type { LucidRow } from '@adonisjs/lucid/types/model'
import type { PlanFor } from '../delivery/delivery_plan.js'
import { draftFromRow, eventFromRow } from '../recording/event_record.js'
import { EventsFake } from '../testing/events_fake.js'
import type { EventRecorder } from '../recording/recorder.js'
import type { Trigger, WebhookableModel } from '../types.js'
import type { ResourceRegistry } from './registry.js'

/** What recording a model's changes needs to know of its resource */
interface RecordTarget {
  triggers: readonly Trigger[]
  queue: string
}

/**
 * Where the Webhookable hooks hand a saved or deleted row: when its model is
 * a registered resource that declares the trigger, the change becomes an
 * event, recorded in the row's transaction when it has one, or kept by the
 * fake while the app's tests use one.
 */
export class ModelChanges {
  /** Looked up once per model class, since `record` runs on every save */
  #targets = new Map<WebhookableModel, RecordTarget | null>()
  #fake?: EventsFake

  constructor(
    private registry: ResourceRegistry,
    private planFor: PlanFor,
    private recorder: EventRecorder,
    private environment: string
  ) {}

  /**
   * Synchronous once the model has been looked up, so a save waits for no
   * promise of ours.
   */
  record(row: LucidRow, trigger: Trigger): void | Promise<void> {
    const model = row.constructor as WebhookableModel
    if (!this.#targets.has(model)) {
      return this.#targetOf(model).then(() => this.record(row, trigger))
    }
    const target = this.#targets.get(model)
    if (!target || !target.triggers.includes(trigger)) return

    const trx = row.$trx
    if (this.#fake) return this.#fake.capture(eventFromRow(row, trigger, this.environment), trx)
    if (trx && !trx.isCompleted) {
      this.recorder.recordInTransaction(
        draftFromRow(row, trigger, this.environment),
        target.queue,
        trx
      )
      return
    }
    this.recorder.record(eventFromRow(row, trigger, this.environment), target.queue)
  }

  async #targetOf(model: WebhookableModel): Promise<RecordTarget | null> {
    const resource = await this.registry.forModel(model)
    const plan = resource && (await this.planFor(resource.name))
    const target = resource && plan && { triggers: resource.triggers, queue: plan.queue }
    this.#targets.set(model, target ?? null)
    return target ?? null
  }

  /** Keeps the events in a fresh fake, for its assertions, instead of recording them */
  fake(): EventsFake {
    this.#fake = new EventsFake()
    return this.#fake
  }

  /** Records events again */
  restore() {
    this.#fake = undefined
  }
}
