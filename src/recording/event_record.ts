import type { LucidRow } from '@adonisjs/lucid/types/model'
import type { ExoEvent } from '../lifecycle_events.js'
import type { EventRecord, WebhookableModel } from '../types.js'
import { prefixedUlid } from '../ids.js'
import { payloadSnapshot } from './payload_snapshot.js'

/** Read once: the getter costs more than the rest of a timestamp */
const timeOrigin = performance.timeOrigin

/** The current second in ISO-8601, formatted once per second: formatting costs most of a timestamp */
let second = -1
let secondIso = ''

/**
 * ISO-8601 with microseconds, as the payload's `timestamp` promises.
 */
export function preciseTimestamp(): string {
  const now = timeOrigin + performance.now()
  const nowSecond = Math.floor(now / 1000)
  if (nowSecond !== second) {
    second = nowSecond
    secondIso = new Date(nowSecond * 1000).toISOString().slice(0, 19)
  }
  const micros = Math.floor((now - nowSecond * 1000) * 1000)
  return `${secondIso}.${String(micros).padStart(6, '0')}Z`
}

export function newEventId() {
  return prefixedUlid('evt')
}

type ChangedRow = LucidRow & { toWebhookPayload?(): unknown }

/**
 * The event a change of `row` produces, without its `data` yet, and the
 * payload taken at this moment.
 */
function describeChange(
  row: ChangedRow,
  event: EventRecord['event'],
  environment: string,
  payload: unknown = row.toWebhookPayload ? row.toWebhookPayload() : row.serialize()
) {
  const model = row.constructor as WebhookableModel
  const owner = model.ownerColumn ? (row as any)[model.ownerColumn] : null
  const record: EventRecord = {
    id: newEventId(),
    resource: model.resource,
    event,
    data: '',
    ownerId: owner === null || owner === undefined ? null : String(owner),
    environment,
    occurredAt: preciseTimestamp(),
  }
  return { record, payload }
}

/**
 * The event a change of `row` produces, its payload taken at this moment;
 * or a domain event of `row`, with `data` when given.
 */
export function eventFromRow(
  row: ChangedRow,
  event: EventRecord['event'],
  environment: string,
  data?: unknown
) {
  const { record, payload } = describeChange(row, event, environment, data)
  record.data = JSON.stringify(payload ?? null)
  return record
}

/** An event whose payload, taken at the save, is serialized when it is written */
export interface EventDraft {
  event: EventRecord
  /** The payload's JSON, for `event.data` */
  data: () => string
}

/**
 * Like `eventFromRow`, leaving the serialization to `completed`.
 */
export function draftFromRow(
  row: ChangedRow,
  event: EventRecord['event'],
  environment: string
): EventDraft {
  const { record, payload } = describeChange(row, event, environment)
  return { event: record, data: payloadSnapshot(payload) }
}

/** A draft of an event whose payload is serialized already */
export function draftOf(event: EventRecord): EventDraft {
  return { event, data: () => event.data }
}

/**
 * The draft's event with its payload serialized.
 */
export function completed(draft: EventDraft): EventRecord {
  draft.event.data = draft.data()
  return draft.event
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
 * The body a receiver gets, as a value: what subscription filters read.
 * Null should the stored data not be JSON.
 */
export function eventPayload(
  event: Pick<EventRecord, 'id' | 'event' | 'resource' | 'data' | 'occurredAt'>
): unknown {
  try {
    return JSON.parse(eventBody(event))
  } catch {
    return null
  }
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
