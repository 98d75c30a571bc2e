import { DateTime } from 'luxon'
import type { Database } from '@adonisjs/lucid/database'
import type { LucidRow } from '@adonisjs/lucid/types/model'
import type { AttemptLog, ScheduledAttempt } from '../delivery/attempt_log.js'
import type { Deliverer } from '../delivery/deliverer.js'
import { newEventId, preciseTimestamp } from '../events/event_record.js'
import type { Outbox } from '../events/outbox.js'
import { importDefault } from '../lazy_import.js'
import { invalid, isReservedHeader } from '../http/api/validators.js'
import { dbTime } from '../models/db_time.js'
import { WebhookDelivery } from '../models/webhook_delivery.js'
import { WebhookSubscription, type SubscriptionAuth } from '../models/webhook_subscription.js'
import type { PipelineQueue } from '../queue/pipeline_queue.js'
import type { ResourceRegistry } from '../resources/registry.js'
import type { EventRecord, ResolvedExoConfig, Trigger } from '../types.js'
import { generateSecret, secretHint } from './secrets.js'

export interface SubscriptionInput {
  name?: string
  description?: string | null
  url?: string
  resource?: string
  events?: Trigger[]
  is_active?: boolean
  headers?: Record<string, string>
  auth?: { type: 'basic' | 'bearer'; username?: string; password?: string; token?: string } | null
  secret_header?: WebhookSubscription['secretHeader']
  notification_emails?: string[]
  environments?: string[]
  metadata?: Record<string, unknown>
  secret?: string
}

const METADATA_LIMIT = 8 * 1024

function toAuth(auth: NonNullable<SubscriptionInput['auth']>): SubscriptionAuth {
  return auth.type === 'basic'
    ? { type: 'basic', username: auth.username!, password: auth.password! }
    : { type: 'bearer', token: auth.token! }
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
    if (!resource)
      invalid('resource', 'registered', `"${resourceName}" is not a registered resource`)
    input.events?.forEach((event, index) => {
      if (!resource.triggers.includes(event)) {
        invalid(
          `events.${index}`,
          'trigger',
          `The ${resourceName} resource has no ${event} trigger`
        )
      }
    })
    if (input.url && this.config.delivery.requireHttps && !input.url.startsWith('https://')) {
      invalid('url', 'https', 'The url must use https')
    }
    for (const name of Object.keys(input.headers ?? {})) {
      if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,100}$/.test(name)) {
        invalid(
          `headers.${name}`,
          'headerName',
          "Header names are letters, digits and !#$%&'*+-.^_`|~"
        )
      }
      if (isReservedHeader(name))
        invalid(`headers.${name}`, 'reserved', `The ${name} header is set by Exo`)
    }
    if (input.secret_header && isReservedHeader(input.secret_header.name)) {
      invalid(
        'secret_header.name',
        'reserved',
        `The ${input.secret_header.name} header is set by Exo`
      )
    }
    if (input.metadata && JSON.stringify(input.metadata).length > METADATA_LIMIT) {
      invalid('metadata', 'maxSize', 'The metadata must be at most 8 KiB of JSON')
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
    }
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) (subscription as any)[key] = value
    }
  }

  async create(
    owner: LucidRow,
    input: SubscriptionInput & { name: string; url: string; resource: string; events: Trigger[] }
  ) {
    await this.#checkInput(input, input.resource)
    const subscription = new WebhookSubscription()
    subscription.userId = Number(owner.$primaryKeyValue)
    subscription.resource = input.resource
    subscription.isActive = input.is_active ?? true
    subscription.secret = input.secret ?? generateSecret()
    subscription.updatedBy = Number(owner.$primaryKeyValue)
    this.#assign(subscription, input)
    await subscription.save()
    return subscription
  }

  async update(subscription: WebhookSubscription, input: SubscriptionInput, actor: LucidRow) {
    if (input.resource !== undefined && input.resource !== subscription.resource) {
      invalid('resource', 'immutable', 'The resource of a subscription cannot be changed')
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
    return subscription
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
    const delivery = await this.db.transaction(async (trx) => {
      await this.outbox.insert([event], trx)
      await trx
        .from('exo_events')
        .where('id', event.id)
        .update({ dispatched_at: dbTime(trx) })
      const [id] = await this.attempts.schedule(
        [{ subscriptionId: subscription.id, eventId: event.id, attempt: 1, dueAt: Date.now() }],
        trx
      )
      return id
    })
    const attempt = await WebhookDelivery.findOrFail(delivery)
    return this.deliverer.attempt(attempt, subscription, event, { retry: false })
  }

  async #nextAttemptNumber(subscriptionId: number, eventId: string) {
    const row = await this.db
      .from('exo_deliveries')
      .where('subscription_id', subscriptionId)
      .where('event_id', eventId)
      .max('attempt as last')
      .first()
    return Number(row?.last ?? 0) + 1
  }

  /**
   * Queues events again for one subscription, each as a new attempt.
   */
  async #requeue(subscription: WebhookSubscription, eventIds: string[]) {
    const scheduled: ScheduledAttempt[] = []
    for (const eventId of eventIds) {
      scheduled.push({
        subscriptionId: subscription.id,
        eventId,
        attempt: await this.#nextAttemptNumber(subscription.id, eventId),
        dueAt: Date.now(),
      })
    }
    const ids = await this.db.transaction((trx) => this.attempts.schedule(scheduled, trx))
    const queue = await this.queueFor(subscription.resource)
    await this.queue.enqueueAttempts(ids.map((id) => ({ id, queue, delay: 0 })))
    return ids
  }

  async redeliver(subscription: WebhookSubscription, delivery: WebhookDelivery) {
    const [id] = await this.#requeue(subscription, [delivery.eventId])
    return id
  }

  /**
   * Re-sends the subscription's matching events recorded from `since` (or
   * from the given event) on, oldest first.
   */
  async replay(subscription: WebhookSubscription, from: { eventId?: string; since?: string }) {
    let since: DateTime
    if (from.eventId) {
      const row = await this.db
        .from('exo_events')
        .where('id', from.eventId)
        .where('resource', subscription.resource)
        .first()
      if (!row) invalid('event_id', 'exists', 'No event of this resource has that id')
      since = DateTime.fromJSDate(new Date(row.created_at))
    } else {
      since = DateTime.fromISO(from.since!, { zone: 'utc' })
      if (!since.isValid) invalid('since', 'date', 'The since field must be an ISO-8601 date')
    }
    const client = this.db.connection()
    const events = await client
      .from('exo_events')
      .select('id', 'owner_id')
      .where('resource', subscription.resource)
      .whereIn('event', subscription.events)
      .where('created_at', '>=', dbTime(client, since.toJSDate()))
      .orderBy('created_at')
      .limit(10_000)
    const visible = await this.#visibleTo(subscription, events)
    await this.#requeue(subscription, visible)
    return visible.length
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
