import { E_INVALID_RESOURCE } from '../errors.js'
import { importDefault } from '../lazy_import.js'
import { toMilliseconds } from '../define_config.js'
import { isPlainObject } from '../recording/payload_snapshot.js'
import { schemaProblem } from './json_schema.js'
import {
  TRIGGERS,
  type DomainEventDeclaration,
  type EventName,
  type JsonSchema,
  type LazyImport,
  type Trigger,
  type WebhookableModel,
} from '../types.js'

export interface Resource {
  name: string
  triggers: readonly Trigger[]
  /** The domain events of `static webhookEvents`, by name */
  domainEvents: ReadonlyMap<string, DomainEventDeclaration>
  /** What a subscription may list: the triggers, then the domain events */
  events: readonly EventName[]
  /** The JSON Schema of the triggers' `data`, when the model gives one */
  triggerSchema?: JsonSchema
  model: WebhookableModel
  /** The model's own backoff schedule, in milliseconds */
  backoff?: number[]
}

const EVENT_NAME = /^[a-z][a-z0-9_]{0,49}(\.[a-z][a-z0-9_]{0,49}){0,3}$/

function checkSchema(name: string, where: string, schema: unknown) {
  if (schema === undefined) return
  const problem = isPlainObject(schema) ? schemaProblem(schema) : 'it is not an object'
  if (problem) {
    throw new E_INVALID_RESOURCE([name, `${where} must be a JSON Schema (2020-12): ${problem}`])
  }
}

function domainEventsOf(name: string, model: WebhookableModel) {
  const declared = model.webhookEvents ?? {}
  if (!isPlainObject(declared)) {
    throw new E_INVALID_RESOURCE([name, 'webhookEvents must be an object of event declarations'])
  }
  const events = new Map<string, DomainEventDeclaration>()
  for (const [event, declaration] of Object.entries(declared)) {
    const where = `webhookEvents.${event}`
    if (!EVENT_NAME.test(event)) {
      throw new E_INVALID_RESOURCE([
        name,
        `${where}: an event name must be lowercase, such as "shipped" or "deal.won"`,
      ])
    }
    if ((TRIGGERS as readonly string[]).includes(event) || event === 'ping') {
      throw new E_INVALID_RESOURCE([name, `${where}: "${event}" is reserved`])
    }
    if (!isPlainObject(declaration) || typeof declaration.description !== 'string') {
      throw new E_INVALID_RESOURCE([name, `${where} must be { description: string, schema? }`])
    }
    checkSchema(name, `${where}.schema`, declaration.schema)
    events.set(event, declaration)
  }
  return events
}

function describe(model: WebhookableModel): Resource {
  const name = model.resource
  if (typeof name !== 'string' || !/^[a-z][a-z0-9_.-]{0,99}$/.test(name)) {
    throw new E_INVALID_RESOURCE([
      model.name,
      'static resource must be a lowercase name such as "order"',
    ])
  }
  const triggers = typeof model.triggers === 'function' ? model.triggers() : undefined
  if (!Array.isArray(triggers) || triggers.some((trigger) => !TRIGGERS.includes(trigger))) {
    throw new E_INVALID_RESOURCE([name, `triggers() must return some of ${TRIGGERS.join(', ')}`])
  }
  const backoff = model.webhookBackoff?.map((step, index) =>
    toMilliseconds(`${name}.webhookBackoff.${index}`, step)
  )
  if (backoff?.length === 0) {
    throw new E_INVALID_RESOURCE([name, 'webhookBackoff must have at least one step'])
  }
  checkSchema(name, 'webhookSchema', model.webhookSchema)
  const domainEvents = domainEventsOf(name, model)
  const uniqueTriggers = [...new Set(triggers)]
  return {
    name,
    triggers: uniqueTriggers,
    domainEvents,
    events: [...uniqueTriggers, ...domainEvents.keys()],
    triggerSchema: model.webhookSchema,
    model,
    backoff,
  }
}

/**
 * The resources registered in config/exo.ts, imported once on first use
 * because host models can only load after Lucid has booted.
 */
export class ResourceRegistry {
  #loading?: Promise<Map<string, Resource>>

  constructor(private imports: LazyImport<WebhookableModel>[]) {}

  async #load() {
    const resources = new Map<string, Resource>()
    for (const importModel of this.imports) {
      const resource = describe(await importDefault(importModel))
      if (resources.has(resource.name)) {
        throw new E_INVALID_RESOURCE([resource.name, 'is registered twice'])
      }
      resources.set(resource.name, resource)
    }
    return resources
  }

  all(): Promise<Map<string, Resource>> {
    this.#loading ??= this.#load()
    return this.#loading
  }

  async find(name: string): Promise<Resource | undefined> {
    const resources = await this.all()
    return resources.get(name)
  }

  /**
   * The resource of a model class, when that class is registered.
   */
  async forModel(model: WebhookableModel): Promise<Resource | undefined> {
    const resource = await this.find(model.resource)
    return resource?.model === model ? resource : undefined
  }
}
