import { E_INVALID_RESOURCE } from '../errors.js'
import { importDefault } from '../lazy_import.js'
import { toMilliseconds } from '../define_config.js'
import { TRIGGERS, type LazyImport, type Trigger, type WebhookableModel } from '../types.js'

export interface Resource {
  name: string
  triggers: readonly Trigger[]
  model: WebhookableModel
  /** The model's own backoff schedule, in milliseconds */
  backoff?: number[]
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
  return { name, triggers: [...new Set(triggers)], model, backoff }
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
