import type { ApiClient, ApiResponse } from '@japa/api-client'
import type { TestContext } from '@japa/runner/core'
import db from '@adonisjs/lucid/services/db'
import { WebhookDelivery, WebhookEvent, WebhookSubscription } from 'adonis-exo'
import exo from 'adonis-exo/services/main'
import { createUser } from '#tests/helpers/fixtures'
import { exoApi, tokenFor, type ExoApi } from '#tests/helpers/api'
import { eventually, type WaitOptions } from '#tests/helpers/eventually'
import { startReceiver, type Receiver } from '#tests/helpers/receiver'
import Order from '#models/order'
import type User from '#models/user'

/** What fixtures take of a test's context: its API client, and its cleanup */
export type FixtureContext = Pick<TestContext, 'client' | 'cleanup'>

/**
 * A user, an Exo API token of theirs, and `api`: requests made with it.
 */
export async function apiUser(client: ApiClient, attributes: { isAdmin?: boolean } = {}) {
  const { user, token, tokenId } = await userWithToken(attributes)
  return { user, token, tokenId, api: exoApi(client, token) }
}

/**
 * A user and an Exo API token of theirs, for tests that call the API their own way.
 */
export async function userWithToken(attributes: { isAdmin?: boolean } = {}) {
  const user = await createUser(attributes)
  const token = await tokenFor(user)
  return { user, token: token.value, tokenId: token.id }
}

/**
 * A value for every optional field of `POST /webhooks`, credentials included.
 */
export const EVERY_OPTIONAL_FIELD = {
  description: 'Orders to the CRM',
  events: ['on_create', 'on_update'],
  is_active: false,
  headers: { 'X-Team': 'a' },
  auth: { type: 'basic', username: 'u', password: 'basic-password-123' },
  secret_header: { name: 'X-Webhook-Secret', value: 'shared-secret-value' },
  notification_emails: ['ops@example.com'],
  environments: ['production'],
  metadata: { team: 'crm', tier: 2 },
  filter: { 'data.status': 'paid', 'data.total': { $gte: 100 } },
  rate_limit: 25,
}

/**
 * Creates a subscription to `url` through `POST /webhooks` and returns the
 * answer's body, the secret in full.
 */
export async function createSubscription(
  api: ExoApi,
  url: string,
  overrides: Record<string, unknown> = {}
) {
  const response = await api.post('/webhooks').json(subscriptionBody(url, overrides))
  response.assertStatus(201)
  return response.body()
}

/**
 * A new API user and a subscription of theirs to `url`, made through the API.
 */
export async function apiSubscription(
  client: ApiClient,
  url: string,
  overrides: Record<string, unknown> = {}
) {
  const caller = await apiUser(client)
  const created = await createSubscription(caller.api, url, overrides)
  return { ...caller, created, id: created.id as number, secret: created.secret as string }
}

/**
 * A receiver answering `status` (after `delayMs`), closed when the test ends,
 * and a new API user's subscription to it (`body` on top of the smallest
 * valid one).
 */
export async function apiSubscribedReceiver(
  { client, cleanup }: FixtureContext,
  options: { status?: number; delayMs?: number; body?: Record<string, unknown> } = {}
) {
  const receiver = await startReceiver({
    status: options.status,
    delayMs: options.delayMs,
    cleanup,
  })
  return { receiver, ...(await apiSubscription(client, receiver.url, options.body)) }
}

/**
 * Walks a list with `query`, page after page, following the cursor each page
 * gives (at most `maxPages`): the body of every page, in order.
 */
export async function walkPages(
  api: ExoApi,
  path: string,
  query: Record<string, unknown>,
  maxPages = 10
) {
  const pages: { data: { id: unknown }[]; has_more: boolean; next_cursor: string | null }[] = []
  let cursor: string | null = null
  do {
    const response: ApiResponse = await api.get(path).qs(cursor ? { ...query, cursor } : query)
    response.assertStatus(200)
    pages.push(response.body())
    cursor = response.body().next_cursor
  } while (cursor && pages.length < maxPages)
  return pages
}

/**
 * The ids of the items of list pages, in order.
 */
export function itemIds(...pages: { data: { id: unknown }[] }[]) {
  return pages.flatMap((page) => page.data.map((item) => item.id))
}

/**
 * The fields a 422 answer names, in its order.
 */
export function errorFields(response: ApiResponse) {
  return response.body().errors.map((error: { field: string }) => error.field) as string[]
}

/**
 * Deletes every subscription, attempts first: a worker recording an attempt's
 * outcome meanwhile locks them in that order too, so neither deadlocks.
 */
export async function deleteSubscriptions() {
  await db.from('exo_deliveries').delete()
  await WebhookSubscription.query().delete()
  // A query-builder delete runs no model hook: the workers' matching is told here
  await exo.subscriptionsChanged()
}

/**
 * The smallest valid body of `POST /webhooks`, with `overrides` on top.
 */
export function subscriptionBody(url: string, overrides: Record<string, unknown> = {}) {
  return { name: 'API hook', url, resource: 'order', events: ['on_create'], ...overrides }
}

/**
 * The attempts of a subscription, oldest first, once `accept` takes them.
 */
export function attemptsOf(
  subscriptionId: number,
  accept: (attempts: WebhookDelivery[]) => boolean = () => true,
  options: WaitOptions = {}
) {
  return eventually(
    () =>
      WebhookDelivery.query()
        .where('subscription_id', subscriptionId)
        .orderBy('created_at')
        .orderBy('id'),
    accept,
    { what: `The attempts of subscription ${subscriptionId}`, ...options }
  )
}

/**
 * The attempts of a subscription once there are `count` and none is pending:
 * each has its outcome, and the receiver the request, so a test may assert
 * there are no others. Fails when they do not come.
 */
export function completedAttempts(subscriptionId: number, count: number) {
  return attemptsOf(
    subscriptionId,
    (attempts) => attempts.length >= count && attempts.every((row) => row.status !== 'pending')
  )
}

/** The attempts of a subscription once each has its outcome */
export function settledAttempts(subscriptionId: number) {
  return attemptsOf(subscriptionId, (rows) => rows.every((row) => row.status !== 'pending'))
}

/**
 * Creates an order of `user`, waits for the receiver to get its event and
 * for the subscription's attempts to have their outcome, and returns the
 * event's id.
 */
export async function attemptedOrder(user: User, receiver: Receiver, subscriptionId: number) {
  const before = receiver.received.length
  await Order.create({ userId: user.id, total: before, status: 'new' })
  const received = await receiver.waitFor(before + 1)
  await settledAttempts(subscriptionId)
  return received[before].json.id as string
}

/**
 * The subscriptions the `event` of a row went to, once it is fanned out. The
 * fan-out writes the attempts of an event at every subscription it matches
 * as it marks the event dispatched, in one write: a subscription missing
 * here never gets that event (but for a replay or a redelivery).
 */
export async function fannedOutTo(row: { id: number }, event = 'on_create') {
  const resource = (row.constructor as unknown as { resource: string }).resource
  const [dispatched] = await eventually(
    async () => {
      const events = await WebhookEvent.query()
        .where('resource', resource)
        .where('event', event)
        .whereNotNull('dispatched_at')
        .orderBy('created_at', 'desc')
        .limit(200)
      return events.filter((candidate) => JSON.parse(candidate.data).id === row.id)
    },
    (events) => events.length > 0,
    { what: `The ${resource} ${row.id} ${event} event's fan-out` }
  )
  const attempts = await WebhookDelivery.query().where('event_id', dispatched.id)
  return [...new Set(attempts.map((attempt) => Number(attempt.subscriptionId)))]
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
  'filter',
  'rate_limit',
  'webhook_version',
  'masked_secret',
  'failure_count',
  'last_delivered_at',
  'disabled_at',
  'disabled_reason',
  'created_at',
  'updated_at',
]

/**
 * The fields of a delivery object, CONTRACT §5, for an order's first attempt
 * at `event` that the receiver took with a 200.
 */
export function succeededFirstAttempt(event: string) {
  return { event, resource: 'order', attempt: 1, status: 'success', http_status: 200, error: null }
}

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
