import type { QueryClientContract, TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { LucidRow } from '@adonisjs/lucid/types/model'
import type { PlanFor } from '../delivery/delivery_plan.js'
import { E_UNKNOWN_EVENT } from '../errors.js'
import { draftFromRow, draftOf, eventFromRow } from '../recording/event_record.js'
import { EventsFake } from '../testing/events_fake.js'
import type { EventRecorder } from '../recording/recorder.js'
import type { EventName, EventRecord, Trigger, WebhookableModel } from '../types.js'
import type { PayloadSchemas } from './payload_schemas.js'
import type { Resource, ResourceRegistry } from './registry.js'

/** What recording a model's events needs to know of its resource */
interface RecordTarget {
  resource: Resource
  queue: string
  /** Whether the triggers' data has a schema to check */
  checksTriggers: boolean
}

export interface EmitOptions {
  /** The transaction to record the event in, when not the record's own */
  client?: QueryClientContract
}

function openTransaction(trx: QueryClientContract | null | undefined) {
  return trx?.isTransaction && !(trx as TransactionClientContract).isCompleted
    ? (trx as TransactionClientContract)
    : undefined
}

/**
 * Where a record's events arrive: the changes the Webhookable hooks hand
 * over and the domain events of `exo.emit`. When the record's model is a
 * registered resource that declares the event, it is recorded in the
 * record's transaction when it has one, or kept by the fake while the
 * app's tests use one.
 */
export class ModelChanges {
  /** Looked up once per model class, since `record` runs on every save */
  #targets = new Map<WebhookableModel, RecordTarget | null>()
  #fake?: EventsFake

  constructor(
    private registry: ResourceRegistry,
    private planFor: PlanFor,
    private recorder: EventRecorder,
    private schemas: PayloadSchemas,
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
    if (!target || !target.resource.triggers.includes(trigger)) return

    const trx = openTransaction(row.$trx)
    if (target.checksTriggers) {
      const event = eventFromRow(row, trigger, this.environment)
      this.schemas.check(target.resource, trigger, event.data)
      return this.#keep(event, target.queue, trx)
    }
    if (this.#fake) return this.#fake.capture(eventFromRow(row, trigger, this.environment), trx)
    if (trx) {
      this.recorder.recordInTransaction(
        draftFromRow(row, trigger, this.environment),
        target.queue,
        trx
      )
      return
    }
    this.recorder.record(eventFromRow(row, trigger, this.environment), target.queue)
  }

  /**
   * Records the domain event `name` of `row`, with `data` or the record's
   * payload: in the transaction of `options.client` or of the row, or else
   * durably before it resolves.
   */
  async emit(row: LucidRow, name: EventName, data?: unknown, options: EmitOptions = {}) {
    const model = row.constructor as WebhookableModel
    const target = this.#targets.has(model) ? this.#targets.get(model) : await this.#targetOf(model)
    if (!target) {
      throw new E_UNKNOWN_EVENT([
        name,
        `${model.name} is not a resource registered in config/exo.ts`,
      ])
    }
    const { resource } = target
    if (!resource.domainEvents.has(name)) {
      const declared = [...resource.domainEvents.keys()].join(', ') || 'none'
      const problem = `the ${resource.name} resource declares no such event in webhookEvents (declared: ${declared})`
      throw new E_UNKNOWN_EVENT([name, problem])
    }
    const event = eventFromRow(row, name, this.environment, data)
    this.schemas.check(resource, name, event.data)
    const trx = openTransaction(options.client ?? row.$trx)
    await this.#keep(event, target.queue, trx, { durableNow: true })
  }

  /** An event whose data is serialized already, recorded or kept by the fake */
  #keep(
    event: EventRecord,
    queue: string,
    trx: TransactionClientContract | undefined,
    { durableNow = false } = {}
  ): void | Promise<void> {
    if (this.#fake) return this.#fake.capture(event, trx)
    if (trx) return this.recorder.recordInTransaction(draftOf(event), queue, trx)
    if (durableNow) return this.recorder.recordNow(event, queue)
    this.recorder.record(event, queue)
  }

  async #targetOf(model: WebhookableModel): Promise<RecordTarget | null> {
    const resource = await this.registry.forModel(model)
    const plan = resource && (await this.planFor(resource.name))
    const target = resource &&
      plan && {
        resource,
        queue: plan.queue,
        checksTriggers: resource.triggers.some((trigger) => this.schemas.has(resource, trigger)),
      }
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
