import { sample } from 'openapi-sampler'
import type { EventName, JsonSchema, Trigger } from '../types.js'
import { dataSchemaOf } from './payload_schemas.js'
import type { Resource } from './registry.js'

/**
 * One kind of event receivers can get: a trigger or a domain event of a
 * resource, with the JSON Schema of its `data` and an example payload.
 */
export interface EventType {
  resource: string
  event: EventName
  description: string
  /** The JSON Schema of the payload's `data` */
  schema: JsonSchema
  /** A whole payload, as receivers get it */
  example: {
    id: string
    event: EventName
    resource: string
    data: unknown
    timestamp: string
  }
}

const TRIGGER_DESCRIPTIONS: Record<Trigger, (resource: string) => string> = {
  on_create: (resource) => `The ${resource} record was created`,
  on_update: (resource) => `The ${resource} record was changed`,
  on_delete: (resource) => `The ${resource} record was deleted`,
}

/** What a trigger's `data` is when its resource gives no `webhookSchema` */
const ANY_OBJECT: JsonSchema = { type: 'object' }

// Fixed, so the catalog reads the same on every call
const EXAMPLE_ID = 'evt_01JZ5Y3V8KQ2N6X4W7R9T0ABCD'
const EXAMPLE_TIMESTAMP = '2026-03-28T14:30:00.000000Z'

function eventType(
  resource: Resource,
  event: EventName,
  description: string,
  example: unknown
): EventType {
  const schema = dataSchemaOf(resource, event) ?? ANY_OBJECT
  const data = example === undefined ? sample(schema as any, { quiet: true }) : example
  return {
    resource: resource.name,
    event,
    description,
    schema,
    example: {
      id: EXAMPLE_ID,
      event,
      resource: resource.name,
      data: data ?? {},
      timestamp: EXAMPLE_TIMESTAMP,
    },
  }
}

/**
 * Every trigger and domain event of every resource: what `GET
 * /event-types`, the dashboard's Resources page and the OpenAPI document's
 * `webhooks` all show.
 */
export function eventCatalog(resources: Iterable<Resource>): EventType[] {
  return [...resources].flatMap((resource) => [
    ...resource.triggers.map((trigger) =>
      eventType(resource, trigger, TRIGGER_DESCRIPTIONS[trigger](resource.name), undefined)
    ),
    ...[...resource.domainEvents].map(([event, declared]) =>
      eventType(resource, event, declared.description, declared.example)
    ),
  ])
}

/**
 * The JSON Schema of the whole payload of an event type.
 */
export function payloadSchemaOf(type: EventType): JsonSchema {
  return {
    type: 'object',
    required: ['id', 'event', 'resource', 'data', 'timestamp'],
    properties: {
      id: { type: 'string', description: 'The event id, the same on every attempt' },
      event: { const: type.event },
      resource: { const: type.resource },
      data: type.schema,
      timestamp: {
        type: 'string',
        format: 'date-time',
        description: 'When the event happened, ISO-8601 with microseconds',
      },
    },
  }
}
