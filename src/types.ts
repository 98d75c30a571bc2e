import type { LucidModel } from '@adonisjs/lucid/types/model'
import type { NormalizeConstructor } from '@adonisjs/core/types/helpers'
import type { BackoffStrategy } from './outcome/schedule.js'
import type { Signer } from './delivery/signer.js'
import type { HostLookup } from './delivery/destination_guard.js'
import type { RedisOptions as RedisConnectionOptions } from 'ioredis'
import type { TraceCarrier } from './telemetry/trace_context.js'

/**
 * The model changes a resource can turn into webhook events.
 */
export const TRIGGERS = ['on_create', 'on_update', 'on_delete'] as const
export type Trigger = (typeof TRIGGERS)[number]

/**
 * What an event is named: a trigger, or a domain event a resource declares
 * (`shipped`, `deal.won`).
 */
export type EventName = Trigger | (string & {})

/**
 * A JSON Schema (2020-12, as OpenAPI 3.1 uses) written by the host app.
 */
export type JsonSchema = Record<string, unknown>

/**
 * A domain event a resource declares in `static webhookEvents`.
 */
export interface DomainEventDeclaration {
  description: string
  /** The JSON Schema of the payload's `data` */
  schema?: JsonSchema
  /** A `data` shown in the catalog; by default one generated from `schema` */
  example?: unknown
}

/**
 * A number of milliseconds or an expression such as '30s' or '2m'.
 */
export type Duration = number | string

/**
 * The static side of a model that uses the Webhookable mixin.
 */
export interface WebhookableModel extends LucidModel {
  resource: string
  triggers(): readonly Trigger[]
  ownerColumn?: string
  webhookQueue?: string
  webhookBackoff?: Duration[]
  webhookEvents?: Record<string, DomainEventDeclaration>
  /** The JSON Schema of the triggers' `data` */
  webhookSchema?: JsonSchema
}

/**
 * A user model with the static finder of `withAuthFinder`.
 */
export type ExoUserModel = LucidModel & {
  verifyCredentials(uid: string, password: string): Promise<any>
}

export type LazyImport<T> = () => Promise<{ default: T }>

/**
 * What the host app writes in config/exo.ts.
 */
export interface ExoConfig<User = any> {
  userModel: LazyImport<ExoUserModel>
  isAdmin?: (user: User) => boolean
  resources: LazyImport<NormalizeConstructor<WebhookableModel> | WebhookableModel>[]
  prefix?: { api?: string; dashboard?: string }
  /**
   * What sets this app's queues and Redis keys apart from those of other apps
   * on the same Redis; by default the app's package name.
   */
  namespace?: string
  queue?: string
  /**
   * The Redis the queues and the dashboard's login limiter use (ioredis
   * options). By default the `defaultConnection` of config/queue.ts
   * (@rlanz/bull-queue, AdonisJS 6); required on AdonisJS 7, which has no
   * bull-queue.
   */
  redis?: RedisConnectionOptions
  /** BullMQ worker settings of `exo:work`; by default config/queue.ts's `worker` */
  worker?: Record<string, unknown>
  delivery?: {
    timeout?: Duration
    /**
     * When attempts are due: one step per attempt, or a strategy of your own.
     */
    backoff?: Duration[] | BackoffStrategy
    /**
     * Makes the signature headers of every request; by default `ExoSigner`
     * (`X-Exo-Signature` and `webhook-signature`).
     */
    signer?: Signer
    autoDisableAfter?: number
    allowPrivateNetworks?: boolean
    requireHttps?: boolean
    /**
     * Resolves receivers' host names, with the signature of `dns.lookup`
     * called with `all: true` (its default); the SSRF guard applies to the
     * addresses it gives.
     */
    lookup?: HostLookup
    /**
     * An HTTP proxy every request goes through, by CONNECT tunnels
     * (`http://proxy.internal:3128`, credentials in the URL if it wants any),
     * for apps whose egress must leave from fixed addresses.
     */
    proxy?: string | null
  }
  retention?: Duration
  notifications?: { from?: string }
}

/**
 * The config once validated: every duration in milliseconds, every default applied.
 */
export interface ResolvedExoConfig {
  userModel: LazyImport<ExoUserModel>
  isAdmin: (user: any) => boolean
  resources: LazyImport<WebhookableModel>[]
  prefix: { api: string; dashboard: string }
  namespace: string
  queue: string
  redis?: RedisConnectionOptions
  worker?: Record<string, unknown>
  delivery: {
    timeout: number
    /** The steps in milliseconds, or the configured strategy */
    backoff: number[] | BackoffStrategy
    signer: Signer
    autoDisableAfter: number
    allowPrivateNetworks: boolean
    requireHttps: boolean
    lookup: HostLookup
    proxy: string | null
  }
  retention: number
  notifications: { from?: string }
}

/**
 * One recorded change or domain event of a resource, as stored in the outbox and sent to receivers.
 */
export interface EventRecord {
  id: string
  resource: string
  event: EventName | 'ping'
  /** The payload's `data`, already serialized to JSON */
  data: string
  ownerId: string | null
  environment: string
  /** ISO-8601 with microseconds, the payload's `timestamp` */
  occurredAt: string
  /** The trace context of its recording, which its jobs carry to the workers' spans */
  trace?: TraceCarrier
}

export type DeliveryStatus = 'pending' | 'success' | 'failed'
