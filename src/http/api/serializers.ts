import type { EndpointHealth } from '../../delivery/endpoint_stats.js'
import type { WebhookDelivery } from '../../models/webhook_delivery.js'
import type { WebhookSubscription } from '../../models/webhook_subscription.js'
import { maskSecret } from '../../subscriptions/secrets.js'
import type { EventRecord } from '../../types.js'
import { eventBody } from '../../recording/event_record.js'

/**
 * A subscription as the API shows it: write-only credentials reduced to what
 * identifies them, the secret masked.
 */
export function serializeSubscription(subscription: WebhookSubscription) {
  const auth = subscription.auth
  return {
    id: Number(subscription.id),
    user_id: Number(subscription.userId),
    name: subscription.name,
    description: subscription.description ?? null,
    url: subscription.displayUrl,
    resource: subscription.resource,
    events: subscription.events,
    is_active: subscription.isActive,
    headers: subscription.headers,
    auth: auth
      ? auth.type === 'basic'
        ? { type: 'basic', username: auth.username }
        : { type: 'bearer' }
      : null,
    secret_header: subscription.secretHeader ? { name: subscription.secretHeader.name } : null,
    notification_emails: subscription.notificationEmails,
    environments: subscription.environments,
    metadata: subscription.metadata,
    filter: subscription.filter ?? null,
    rate_limit: subscription.rateLimit === null ? null : Number(subscription.rateLimit),
    webhook_version: subscription.webhookVersion,
    masked_secret: maskSecret(subscription.secretHint),
    failure_count: Number(subscription.failureCount),
    last_delivered_at: subscription.lastDeliveredAt?.toUTC().toISO() ?? null,
    disabled_at: subscription.disabledAt?.toUTC().toISO() ?? null,
    disabled_reason: subscription.disabledReason ?? null,
    created_at: subscription.createdAt.toUTC().toISO(),
    updated_at: subscription.updatedAt.toUTC().toISO(),
  }
}

export interface DeliveryWithEvent {
  delivery: WebhookDelivery
  event: Pick<EventRecord, 'event' | 'resource'>
}

export function serializeDelivery({ delivery, event }: DeliveryWithEvent) {
  return {
    id: delivery.id,
    subscription_id: Number(delivery.subscriptionId),
    event_id: delivery.eventId,
    event: event.event,
    resource: event.resource,
    attempt: Number(delivery.attempt),
    status: delivery.status,
    http_status: delivery.httpStatus === null ? null : Number(delivery.httpStatus),
    error: delivery.error,
    duration_ms: delivery.durationMs === null ? null : Number(delivery.durationMs),
    created_at: delivery.createdAt.toUTC().toISO(),
  }
}

/**
 * One attempt with what was sent and what came back.
 */
export function serializeDeliveryDetail(
  delivery: WebhookDelivery,
  event: Pick<EventRecord, 'id' | 'event' | 'resource' | 'data' | 'occurredAt'>
) {
  return {
    ...serializeDelivery({ delivery, event }),
    scheduled_at: delivery.scheduledAt.toUTC().toISO(),
    completed_at: delivery.completedAt?.toUTC().toISO() ?? null,
    request: {
      headers: delivery.requestHeaders,
      body: eventBody(event),
    },
    response:
      delivery.status === 'pending'
        ? null
        : {
            status: delivery.httpStatus === null ? null : Number(delivery.httpStatus),
            headers: delivery.responseHeaders,
            body: delivery.responseBody,
          },
  }
}

/**
 * A subscription's endpoint health over a window (`GET /webhooks/:id/stats`).
 */
export function serializeEndpointHealth(health: EndpointHealth) {
  const { lastError } = health
  return {
    window: health.window,
    attempts: health.attempts,
    succeeded: health.succeeded,
    failed: health.failed,
    success_rate: health.successRate,
    p50_ms: health.p50Ms,
    p95_ms: health.p95Ms,
    status_codes: health.statusCodes,
    last_error: lastError
      ? {
          delivery_id: lastError.deliveryId,
          error: lastError.error,
          http_status: lastError.httpStatus,
          completed_at: lastError.completedAt?.toUTC().toISO() ?? null,
        }
      : null,
  }
}
