import { setTimeout as sleep } from 'node:timers/promises'
import db from '@adonisjs/lucid/services/db'
import { WebhookDelivery, WebhookSubscription } from 'adonis-exo'
import { createUser } from '#tests/helpers/fixtures'
import { tokenFor } from '#tests/helpers/api'

/**
 * A user and an Exo API token of theirs.
 */
export async function apiUser(attributes: { isAdmin?: boolean } = {}) {
  const user = await createUser(attributes)
  const token = await tokenFor(user)
  return { user, token: token.value, tokenId: token.id }
}

/**
 * Deletes every subscription, attempts first: a worker recording an attempt's
 * outcome meanwhile locks them in that order too, so neither deadlocks.
 */
export async function deleteSubscriptions() {
  await db.from('exo_deliveries').delete()
  await WebhookSubscription.query().delete()
}

/**
 * The smallest valid body of `POST /webhooks`, with `overrides` on top.
 */
export function subscriptionBody(url: string, overrides: Record<string, unknown> = {}) {
  return { name: 'API hook', url, resource: 'order', events: ['on_create'], ...overrides }
}

/**
 * Polls `probe` until `accept` takes its value, failing after `timeout` ms.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeout = 15_000
): Promise<T> {
  const deadline = Date.now() + timeout
  for (;;) {
    const value = await probe()
    if (accept(value)) return value
    if (Date.now() > deadline) {
      throw new Error(`Condition not met in ${timeout}ms: ${JSON.stringify(value)}`)
    }
    await sleep(50)
  }
}

/**
 * The attempts of a subscription, oldest first, once `accept` takes them.
 */
export function attemptsOf(
  subscriptionId: number,
  accept: (attempts: WebhookDelivery[]) => boolean = () => true
) {
  return eventually(
    () =>
      WebhookDelivery.query()
        .where('subscription_id', subscriptionId)
        .orderBy('created_at')
        .orderBy('id'),
    accept
  )
}

/** The keys of a subscription object, CONTRACT §5 */
export const SUBSCRIPTION_KEYS = [
  'id',
  'user_id',
  'name',
  'description',
  'url',
  'resource',
  'events',
  'is_active',
  'headers',
  'auth',
  'secret_header',
  'notification_emails',
  'environments',
  'metadata',
  'webhook_version',
  'masked_secret',
  'failure_count',
  'last_delivered_at',
  'disabled_at',
  'disabled_reason',
  'created_at',
  'updated_at',
]

/** The keys of a delivery object, CONTRACT §5 */
export const DELIVERY_KEYS = [
  'id',
  'subscription_id',
  'event_id',
  'event',
  'resource',
  'attempt',
  'status',
  'http_status',
  'error',
  'duration_ms',
  'created_at',
]
