import { domainToUnicode } from 'node:url'
import { DateTime } from 'luxon'
import type { Database } from '@adonisjs/lucid/database'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { LucidRow } from '@adonisjs/lucid/types/model'
import { chunks, ROWS_PER_INSERT } from '../batcher.js'
import type { AttemptLog, ScheduledAttempt } from '../delivery/attempt_log.js'
import type { Deliverer } from '../delivery/deliverer.js'
import { checkDestination, RefusedDestination } from '../delivery/destination_guard.js'
import { eventPayload, newEventId, preciseTimestamp } from '../recording/event_record.js'
import type { Outbox } from '../recording/outbox.js'
import { importDefault } from '../lazy_import.js'
import { checkHeaderName, invalid, invalidAll, oneOf } from '../http/api/validators.js'
import { compileFilter, type Filter } from '../filters/filter.js'
import { filterProblems } from '../filters/filter_validator.js'
import { dbTime } from '../models/db_time.js'
import { WebhookDelivery } from '../models/webhook_delivery.js'
import { WebhookSubscription, type SubscriptionAuth } from '../models/webhook_subscription.js'
import type { PipelineQueue } from '../queue/pipeline_queue.js'
import type { ResourceRegistry } from '../resources/registry.js'
import { TRIGGERS, type EventName, type EventRecord, type ResolvedExoConfig } from '../types.js'
import { failedEventsQuery } from './failed_events.js'
import { generateSecret, secretHint } from './secrets.js'

export interface SubscriptionInput {
  name?: string
  description?: string | null
  url?: string
  resource?: string
  events?: EventName[]
  is_active?: boolean
  headers?: Record<string, string>
  auth?: { type: 'basic' | 'bearer'; username?: string; password?: string; token?: string } | null
  secret_header?: WebhookSubscription['secretHeader']
  notification_emails?: string[]
  environments?: string[]
  metadata?: Record<string, unknown>
  /** As the client sent it: checked here */
  filter?: unknown
  rate_limit?: number | null
  secret?: string
}

const METADATA_LIMIT = 8 * 1024

function toAuth(auth: NonNullable<SubscriptionInput['auth']>): SubscriptionAuth {
  return auth.type === 'basic'
    ? { type: 'basic', username: auth.username!, password: auth.password! }
    : { type: 'bearer', token: auth.token! }
}

/**
 * The name of a subscription created without one: its URL's host, as a
 * person reads it (`bücher.example`, `[2001:db8::1]`), without the port.
 */
function nameFromUrl(url: string) {
  const { hostname } = new URL(url)
  return Array.from(domainToUnicode(hostname) || hostname)
    .slice(0, 255)
    .join('')
}

/** Events one replay or recovery queues at most */
const REQUEUED_AT_MOST = 10_000

/**
 * The date a field of a request gives, in ISO-8601 (UTC when it has no offset).
 */
function dateField(field: string, value: string) {
  const date = DateTime.fromISO(value, { zone: 'utc' })
  // Years outside 1–9999 are valid ISO-8601 but not dates every database compares
  if (!date.isValid || date.year < 1 || date.year > 9999) {
    invalid(field, 'date', `The ${field} field must be an ISO-8601 date of the years 1 to 9999`)
  }
  return date
}

/**
 * What users do with their subscriptions, whichever door they come through
 * (the API or the dashboard).
 */
export class SubscriptionService {
  constructor(
    private config: ResolvedExoConfig,
    private db: Database,
    private registry: ResourceRegistry,
    private outbox: Outbox,
    private attempts: AttemptLog,
    private queue: PipelineQueue,
    private deliverer: Deliverer,
    private queueFor: (resource: string) => Promise<string>,
    private environment: string
  ) {}

  async #checkInput(input: SubscriptionInput, resourceName: string) {
    const resource = await this.registry.find(resourceName)
    if (!resource) {
      const resources = await this.registry.all()
      const registered = [...resources.keys()]
      const message =
        registered.length > 0
          ? `The resource field must be ${oneOf(registered)}: "${resourceName}" is not a registered resource`
          : `"${resourceName}" is not a registered resource, and this app registers none`
      invalid('resource', 'registered', message)
    }
    input.events?.forEach((event, index) => {
      if (!resource.events.includes(event)) {
        const kind = (TRIGGERS as readonly string[]).includes(event) ? 'trigger' : 'event'
        const message = `The events.${index} field must be ${oneOf(resource.events)}: the ${resourceName} resource has no ${event} ${kind}`
        invalid(`events.${index}`, kind, message)
      }
    })
    if (
      input.url &&
      this.config.delivery.requireHttps &&
      new URL(input.url).protocol !== 'https:'
    ) {
      invalid('url', 'https', 'The url must use https: this app refuses plain http')
    }
    if (input.url && !this.config.delivery.allowPrivateNetworks) {
      await this.#checkDestination(input.url)
    }
    for (const name of Object.keys(input.headers ?? {})) {
      checkHeaderName(`headers.${name}`, name)
    }
    if (input.secret_header) checkHeaderName('secret_header.name', input.secret_header.name)
    if (input.metadata && JSON.stringify(input.metadata).length > METADATA_LIMIT) {
      invalid('metadata', 'maxSize', 'The metadata must be at most 8 KiB of JSON')
    }
    if (input.filter !== undefined) {
      const problems = filterProblems(input.filter)
      if (problems.length > 0) invalidAll(problems)
    }
  }

  /**
   * Refuses URLs whose host is, or resolves to, a non-public address. The
   * sender checks again at send time, on the address it connects to.
   */
  async #checkDestination(url: string) {
    try {
      await checkDestination(new URL(url), this.config.delivery.lookup)
    } catch (error) {
      if (error instanceof RefusedDestination) invalid('url', 'publicDestination', error.message)
      invalid(
        'url',
        'resolvable',
        `The url's host does not resolve (${error.code ?? error.message})`
      )
    }
  }

  #assign(subscription: WebhookSubscription, input: SubscriptionInput) {
    const fields = {
      name: input.name,
      description: input.description,
      url: input.url,
      events: input.events,
      headers: input.headers,
      auth: input.auth && toAuth(input.auth),
      secretHeader: input.secret_header,
      notificationEmails: input.notification_emails,
      environments: input.environments,
      metadata: input.metadata,
      filter: input.filter as Filter | null | undefined,
      rateLimit: input.rate_limit,
    }
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) (subscription as any)[key] = value
    }
  }

  /**
   * Creates a subscription of `owner`, in the transaction `trx` when given.
   */
  async create(
    owner: LucidRow,
    input: SubscriptionInput & { url: string; resource: string; events: EventName[] },
    trx?: TransactionClientContract
  ) {
    await this.#checkInput(input, input.resource)
    const subscription = new WebhookSubscription()
    if (trx) subscription.useTransaction(trx)
    subscription.userId = Number(owner.$primaryKeyValue)
    subscription.resource = input.resource
    subscription.isActive = input.is_active ?? true
    subscription.secret = input.secret ?? generateSecret()
    subscription.updatedBy = Number(owner.$primaryKeyValue)
    this.#assign(subscription, { ...input, name: input.name ?? nameFromUrl(input.url) })
    await subscription.save()
    // Read back what the database kept: timestamps lose their milliseconds on some dialects
    await subscription.refresh()
    return subscription
  }

  async update(subscription: WebhookSubscription, input: SubscriptionInput, actor: LucidRow) {
    if (input.resource !== undefined && input.resource !== subscription.resource) {
      invalid(
        'resource',
        'immutable',
        'The resource of a subscription cannot be changed: create another subscription instead'
      )
    }
    await this.#checkInput(input, subscription.resource)
    this.#assign(subscription, input)
    if (input.is_active === true && !subscription.isActive) {
      subscription.failureCount = 0
      subscription.disabledAt = null
      subscription.disabledReason = null
    }
    if (input.is_active !== undefined) subscription.isActive = input.is_active
    subscription.updatedBy = Number(actor.$primaryKeyValue)
    await subscription.save()
    await subscription.refresh()
    return subscription
  }

  /**
   * Deletes the subscription with its attempts, so pending ones are never
   * sent. Attempts go first, in the order the outcome recorder locks rows:
   * an attempt finishing meanwhile waits instead of deadlocking.
   */
  async delete(subscription: WebhookSubscription) {
    await this.db.transaction(async (trx) => {
      await trx.from('exo_deliveries').where('subscription_id', subscription.id).delete()
      await subscription.useTransaction(trx).delete()
    })
  }

  /**
   * Replaces the secret; during `gracePeriod` seconds the old one signs too.
   */
  async rotateSecret(subscription: WebhookSubscription, gracePeriod = 0) {
    const secret = generateSecret()
    subscription.previousSecret = gracePeriod > 0 ? subscription.secret : null
    subscription.previousSecretExpiresAt =
      gracePeriod > 0 ? DateTime.now().plus({ seconds: gracePeriod }) : null
    subscription.secret = secret
    subscription.secretHint = secretHint(secret)
    await subscription.save()
    return secret
  }

  /**
   * Sends a `ping` event now and logs it as an attempt, without retries.
   */
  async ping(subscription: WebhookSubscription) {
    const event: EventRecord = {
      id: newEventId(),
      resource: subscription.resource,
      event: 'ping',
      data: JSON.stringify({ subscription_id: Number(subscription.id) }),
      ownerId: String(subscription.userId),
      environment: this.environment,
      occurredAt: preciseTimestamp(),
    }
    const queue = await this.queueFor(subscription.resource)
    const [job] = await this.db.transaction(async (trx) => {
      await this.outbox.insert([event], trx)
      await trx
        .from('exo_events')
        .where('id', event.id)
        .update({ dispatched_at: dbTime(trx) })
      return this.attempts.schedule(
        [{ subscriptionId: subscription.id, eventId: event.id, attempt: 1, queue, delay: 0 }],
        trx
      )
    })
    const attempt = {
      id: job.deliveryIds[0],
      subscriptionId: Number(subscription.id),
      eventId: event.id,
      attempt: 1,
    }
    return this.deliverer.attempt(attempt, subscription, event, { retry: false })
  }

  /**
   * The number the next attempt of each event at the subscription takes.
   */
  async #nextAttemptNumbers(subscriptionId: number, eventIds: string[]) {
    const last = new Map<string, number>()
    for (const part of chunks(eventIds, ROWS_PER_INSERT)) {
      const rows = await this.db
        .from('exo_deliveries')
        .select('event_id')
        .max('attempt as last')
        .where('subscription_id', subscriptionId)
        .whereIn('event_id', part)
        .groupBy('event_id')
      rows.forEach((row) => last.set(row.event_id, Number(row.last)))
    }
    return eventIds.map((eventId) => (last.get(eventId) ?? 0) + 1)
  }

  /**
   * Queues events again for one subscription, each as a new attempt.
   */
  async #requeue(subscription: WebhookSubscription, eventIds: string[]) {
    // Its attempts would be cancelled unsent: say so instead of queueing them
    if (!subscription.isActive) {
      invalid(
        'is_active',
        'active',
        'The subscription is inactive: enable it (is_active: true) before sending its events again'
      )
    }
    const numbers = await this.#nextAttemptNumbers(subscription.id, eventIds)
    const queue = await this.queueFor(subscription.resource)
    const scheduled: ScheduledAttempt[] = eventIds.map((eventId, index) => ({
      subscriptionId: subscription.id,
      eventId,
      attempt: numbers[index],
      queue,
      delay: 0,
    }))
    const jobs = await this.db.transaction((trx) => this.attempts.schedule(scheduled, trx))
    await this.queue.enqueueDeliveries(jobs)
    return jobs.flatMap((job) => job.deliveryIds)
  }

  async redeliver(subscription: WebhookSubscription, delivery: WebhookDelivery) {
    const [id] = await this.#requeue(subscription, [delivery.eventId])
    return id
  }

  /**
   * Where a replay starts: at the given event, or at the first event that
   * occurred at or after `since`.
   */
  async #replayStart(
    subscription: WebhookSubscription,
    from: { eventId?: string; since?: string }
  ): Promise<{ occurredAt: string; id: string }> {
    if (from.eventId) {
      const row = await this.db
        .from('exo_events')
        .select('id', 'owner_id', 'occurred_at')
        .where('id', from.eventId)
        .where('resource', subscription.resource)
        .first()
      const visible = row ? await this.#visibleTo(subscription, [row]) : []
      if (visible.length === 0) invalid('event_id', 'exists', 'No event of yours has that id')
      return { occurredAt: row.occurred_at, id: row.id }
    }
    const since = dateField('since', from.since!)
    // The format of `occurred_at` (microseconds), so that strings compare as times
    return { occurredAt: since.toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'000Z'"), id: '' }
  }

  /**
   * Re-sends the subscription's matching events (its filter included)
   * from a point on, oldest first. Events are ordered by when they occurred, to the microsecond,
   * then by id: `created_at` keeps whole seconds on some dialects and only
   * narrows the scan.
   */
  async replay(subscription: WebhookSubscription, from: { eventId?: string; since?: string }) {
    const start = await this.#replayStart(subscription, from)
    const client = this.db.connection()
    const filtered = subscription.filter !== null && subscription.filter !== undefined
    const query = client
      .from('exo_events')
      .select(
        ...(filtered ? ['id', 'owner_id', 'event', 'data', 'occurred_at'] : ['id', 'owner_id'])
      )
      .where('resource', subscription.resource)
      .whereIn('event', subscription.events)
      .where('created_at', '>=', dbTime(client, new Date(start.occurredAt)))
      .where((after) =>
        after
          .where('occurred_at', '>', start.occurredAt)
          .orWhere((same) =>
            same.where('occurred_at', start.occurredAt).where('id', '>=', start.id)
          )
      )
      .orderBy('occurred_at')
      .orderBy('id')
      .limit(REQUEUED_AT_MOST)
    if (subscription.environments.length > 0) {
      query.whereIn('environment', subscription.environments)
    }
    const rows = await query
    const visible = await this.#visibleTo(
      subscription,
      filtered ? rows.filter(this.#filterOf(subscription)) : rows
    )
    await this.#requeue(subscription, visible)
    return visible.length
  }

  /**
   * Re-sends the events whose last attempt in `[since, until)` failed
   * (until: now), oldest first, and tells how many; `dryRun` only counts them.
   * Once queued, they are pending, so a recovery run again goes on with the
   * events past the first REQUEUED_AT_MOST.
   */
  async recover(
    subscription: WebhookSubscription,
    window: { since: string; until?: string },
    { dryRun = false } = {}
  ) {
    const since = dateField('since', window.since)
    const until = window.until === undefined ? undefined : dateField('until', window.until)
    if (until && until <= since) {
      invalid('until', 'after', 'The until field must be a date after since')
    }
    const query = failedEventsQuery(this.db.connection(), subscription.id, {
      since: since.toJSDate(),
      until: until?.toJSDate(),
    })
    if (dryRun) {
      const [{ total }] = await query.count('* as total')
      return Number(total)
    }
    const rows = await query
      .select('failed.event_id')
      .orderBy('exo_events.occurred_at')
      .orderBy('exo_events.id')
      .limit(REQUEUED_AT_MOST)
    await this.#requeue(
      subscription,
      rows.map((row) => row.event_id)
    )
    return rows.length
  }

  /** Whether an event row gets through the subscription's filter, as in the fan-out */
  #filterOf(subscription: WebhookSubscription) {
    const passes = compileFilter(subscription.filter)
    return (row: Record<string, string>) =>
      passes(
        eventPayload({
          id: row.id,
          event: row.event as EventRecord['event'],
          resource: subscription.resource,
          data: row.data,
          occurredAt: row.occurred_at,
        })
      )
  }

  async #visibleTo(
    subscription: WebhookSubscription,
    events: { id: string; owner_id: string | null }[]
  ) {
    const owner = String(subscription.userId)
    if (events.every((event) => event.owner_id === owner)) return events.map((event) => event.id)
    const User = await importDefault(this.config.userModel)
    const user = await User.find(subscription.userId)
    const admin = user ? this.config.isAdmin(user) : false
    return events.filter((event) => admin || event.owner_id === owner).map((event) => event.id)
  }
}
