import type { ValidateFunction } from 'ajv/dist/2020.js'
import { E_PAYLOAD_MISMATCH } from '../errors.js'
import type { EventName, JsonSchema } from '../types.js'
import { compileSchema, describeErrors } from './json_schema.js'
import type { Resource } from './registry.js'

/** The schema a resource declares for the `data` of one of its events */
export function dataSchemaOf(resource: Resource, event: EventName): JsonSchema | undefined {
  const declared = resource.domainEvents.get(event)
  return declared ? declared.schema : resource.triggerSchema
}

/**
 * Checks events' `data` against the schemas their resources declare, each
 * compiled once. In the app's tests a mismatch throws; elsewhere the event
 * is sent as it is and the mismatch logged once per resource and event.
 */
export class PayloadSchemas {
  #validators = new Map<string, ValidateFunction | null>()
  #warned = new Set<string>()

  constructor(
    private strict: boolean,
    private warn: (message: string) => void
  ) {}

  /**
   * Whether events of `resource` named `event` have a schema to match.
   */
  has(resource: Resource, event: EventName) {
    return this.#validator(resource, event) !== null
  }

  /**
   * Checks `data`, the JSON an event of `resource` is sent with.
   */
  check(resource: Resource, event: EventName, data: string) {
    const validate = this.#validator(resource, event)
    if (!validate || validate(JSON.parse(data))) return
    const key = `${resource.name}.${event}`
    const problem = describeErrors(validate.errors, 'data')
    if (this.strict) throw new E_PAYLOAD_MISMATCH([key, problem])
    if (this.#warned.has(key)) return
    this.#warned.add(key)
    this.warn(
      `adonis-exo: the data of "${key}" does not match its schema (${problem}); sent as it is`
    )
  }

  #validator(resource: Resource, event: EventName) {
    const key = `${resource.name}.${event}`
    let validate = this.#validators.get(key)
    if (validate === undefined) {
      const schema = dataSchemaOf(resource, event)
      validate = schema ? compileSchema(schema) : null
      this.#validators.set(key, validate)
    }
    return validate
  }
}
