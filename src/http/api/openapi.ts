import { readFileSync } from 'node:fs'
import { payloadSchemaOf, type EventType } from '../../resources/event_catalog.js'

let document: Record<string, any> | undefined

const SIGNATURE_HEADERS = [
  ['webhook-id', 'The event id, the same on every attempt'],
  ['webhook-timestamp', 'Seconds since the epoch when this attempt was signed'],
  ['webhook-signature', 'Standard Webhooks signatures: `v1,<base64>`, space-separated'],
].map(([name, description]) => ({
  name,
  in: 'header',
  required: true,
  description,
  schema: { type: 'string' },
}))

/**
 * The `webhooks` section: one entry per event type of the catalog, keyed
 * `order.shipped`, whose request body is the payload receivers get.
 */
function webhooksOf(eventTypes: EventType[]) {
  return Object.fromEntries(
    eventTypes.map((type) => {
      const key = `${type.resource}.${type.event}`
      const operation = {
        operationId: key,
        tags: ['events'],
        summary: type.description,
        security: [],
        parameters: SIGNATURE_HEADERS,
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: payloadSchemaOf(type), example: type.example },
          },
        },
        responses: {
          '2XX': { description: 'Any 2xx answer acknowledges the event; any other is retried' },
        },
      }
      return [key, { post: operation }]
    })
  )
}

/**
 * The OpenAPI 3.1 description of the API, shipped with the package, with
 * its server URL set to the configured prefix and a `webhooks` entry for
 * each of `eventTypes`.
 */
export function openApiDocument(prefix: string, eventTypes: EventType[]) {
  document ??= JSON.parse(
    readFileSync(new URL('../../../resources/openapi.json', import.meta.url), 'utf8')
  )
  return { ...document, servers: [{ url: prefix }], webhooks: webhooksOf(eventTypes) }
}
