import type { EmitterService, EventsList, LoggerService } from '@adonisjs/core/types'
import type { EventName } from './types.js'

/**
 * An event as the host app sees it: what receivers get as the body, plus
 * the owner and the environment it was recorded in.
 */
export interface ExoEvent<Data = any> {
  id: string
  resource: string
  event: EventName | 'ping'
  data: Data
  ownerId: string | null
  environment: string
  /** ISO-8601 with microseconds, the body's `timestamp` */
  timestamp: string
}

/**
 * One attempt at one subscription, once its response (or its error) is in.
 */
export interface AttemptSummary {
  deliveryId: string
  subscriptionId: number
  eventId: string
  event: EventName | 'ping'
  resource: string
  /** 1 for the first attempt of an event at a subscription */
  attempt: number
  httpStatus: number | null
  durationMs: number
}

export interface DeliveryFailure extends AttemptSummary {
  /** What went wrong: `HTTP 500`, a timeout, a refused destination… */
  error: string
  /** Whether the schedule has another attempt of this event coming */
  retryScheduled: boolean
  /** When that attempt is due */
  nextAttemptAt: Date | null
  /** Whether this failure disabled the subscription */
  subscriptionDisabled: boolean
}

export interface SubscriptionDisabled {
  subscriptionId: number
  /** `The receiver answered 410 Gone` or `<n> consecutive failed attempts` */
  reason: string
}

export interface SubscriptionFailing {
  subscriptionId: number
  /** Consecutive failed attempts so far: half of `autoDisableAfter`, rounded up */
  failureCount: number
  /** The consecutive failures at which the subscription will be disabled */
  autoDisableAfter: number
}

/**
 * What the package emits on the app's emitter.
 */
export interface ExoEventsList {
  /** An event is durable: queued, or in the outbox (after commit for transactions) */
  'exo:event:recorded': ExoEvent
  /** An attempt got a 2xx */
  'exo:delivery:succeeded': AttemptSummary
  /** An attempt failed */
  'exo:delivery:failed': DeliveryFailure
  /** The failure policy disabled a subscription */
  'exo:subscription:disabled': SubscriptionDisabled
  /** A subscription's consecutive failures reached half of `autoDisableAfter`: once per streak */
  'exo:subscription:failing': SubscriptionFailing
}

declare module '@adonisjs/core/types' {
  interface EventsList extends ExoEventsList {}
}

/**
 * Emits the package's events. A failing listener is logged and never fails
 * the step that emitted: the event or the attempt is already recorded.
 */
export class LifecycleEvents {
  constructor(
    private emitter: EmitterService,
    private logger: LoggerService
  ) {}

  async emit<Name extends keyof ExoEventsList>(name: Name, payload: EventsList[Name]) {
    try {
      await this.emitter.emit(name, payload)
    } catch (error) {
      this.logger.error({ err: error }, `adonis-exo: a "${name}" listener failed`)
    }
  }
}
