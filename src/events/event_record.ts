import type { LucidRow } from '@adonisjs/lucid/types/model'
import type { ExoEvent } from '../lifecycle_events.js'
import type { EventRecord, WebhookableModel } from '../types.js'
import { prefixedUlid } from '../ids.js'

/** Read once: the getter costs more than the rest of a timestamp */
const timeOrigin = performance.timeOrigin

/**
 * ISO-8601 with microseconds, as the payload's `timestamp` promises.
 */
export function preciseTimestamp(): string {
  const now = timeOrigin + performance.now()
  const millis = Math.floor(now)
  const micros = String(Math.floor((now - millis) * 1000)).padStart(3, '0')
  return `${new Date(millis).toISOString().slice(0, -1)}${micros}Z`
}

export function newEventId() {
  return prefixedUlid('evt')
}

/**
 * The event a change of `row` produces, its payload taken at this moment.
 */
export function eventFromRow(
  row: LucidRow & { toWebhookPayload?(): unknown },
  event: EventRecord['event'],
  environment: string
): EventRecord {
  const model = row.constructor as WebhookableModel
  const payload = row.toWebhookPayload ? row.toWebhookPayload() : row.serialize()
  const owner = model.ownerColumn ? (row as any)[model.ownerColumn] : null
  return {
    id: newEventId(),
    resource: model.resource,
    event,
    data: JSON.stringify(payload ?? null),
    ownerId: owner === null || owner === undefined ? null : String(owner),
    environment,
    occurredAt: preciseTimestamp(),
  }
}

/**
 * The request body receivers get, built around the stored `data` so every
 * attempt sends the same bytes.
 */
export function eventBody(
  event: Pick<EventRecord, 'id' | 'event' | 'resource' | 'data' | 'occurredAt'>
) {
  return (
    `{"id":${JSON.stringify(event.id)},"event":${JSON.stringify(event.event)},` +
    `"resource":${JSON.stringify(event.resource)},"data":${event.data},` +
    `"timestamp":${JSON.stringify(event.occurredAt)}}`
  )
}

/**
 * The event as host apps see it in listeners and in `exo.fake()`.
 */
export function publicEvent(event: EventRecord): ExoEvent {
  return {
    id: event.id,
    resource: event.resource,
    event: event.event,
    data: JSON.parse(event.data),
    ownerId: event.ownerId,
    environment: event.environment,
    timestamp: event.occurredAt,
  }
}
