import { WebhookDelivery } from '../models/webhook_delivery.js'
import { WebhookSubscription } from '../models/webhook_subscription.js'
import type { DeliveryStatus } from '../types.js'
import { decodeCursor } from './api/pagination.js'

/**
 * The queries behind the lists of the API and the dashboard: newest first,
 * one row more than `limit` to tell whether another page follows.
 */

export function subscriptionsQuery(
  filters: { cursor?: string; resource?: string; is_active?: boolean },
  limit: number,
  ownerId: number | null
) {
  const query = WebhookSubscription.query()
    .orderBy('id', 'desc')
    .limit(limit + 1)
  if (ownerId !== null) query.where('user_id', ownerId)
  if (filters.cursor) query.where('id', '<', decodeCursor<number>(filters.cursor, 'number'))
  if (filters.resource) query.where('resource', filters.resource)
  if (filters.is_active !== undefined) query.where('is_active', filters.is_active)
  return query
}

/** What the API's list shows of an attempt: not its request and response */
const LISTED_COLUMNS = [
  'id',
  'subscription_id',
  'event_id',
  'attempt',
  'status',
  'http_status',
  'error',
  'duration_ms',
  'created_at',
].map((column) => `exo_deliveries.${column}`)

/**
 * A subscription's attempts with their event's name and resource, as
 * `$extras.event_name` and `$extras.event_resource`; with `detail`, all
 * their columns, else only those the API lists.
 */
export function deliveriesQuery(
  subscriptionId: number | string,
  filters: { cursor?: string; status?: DeliveryStatus },
  limit: number,
  { detail = false } = {}
) {
  const query = WebhookDelivery.query()
    .select(
      ...(detail ? ['exo_deliveries.*'] : LISTED_COLUMNS),
      'exo_events.event as event_name',
      'exo_events.resource as event_resource'
    )
    .join('exo_events', 'exo_events.id', 'exo_deliveries.event_id')
    .where('exo_deliveries.subscription_id', subscriptionId)
    .orderBy('exo_deliveries.id', 'desc')
    .limit(limit + 1)
  if (filters.cursor) {
    query.where('exo_deliveries.id', '<', decodeCursor<string>(filters.cursor, 'string'))
  }
  if (filters.status) query.where('exo_deliveries.status', filters.status)
  return query
}
