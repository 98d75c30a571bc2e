import {
  metrics,
  type Counter,
  type Histogram,
  type MeterProvider,
  type ObservableGauge,
} from '@opentelemetry/api'
import type { EventRecord } from '../types.js'
import { ATTR, type OutcomeLabel } from './attributes.js'

interface Instruments {
  eventsRecorded: Counter
  attempts: Counter
  duration: Histogram
  lag: Histogram
  waiting: ObservableGauge
}

/** Up to the longest timeout a receiver may take */
const DURATION_BOUNDARIES = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000]

/** Up to the hours of the backoff schedule's last retries */
const LAG_BOUNDARIES = [
  10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000,
  21_600_000, 86_400_000,
]

/**
 * The pipeline's metrics, through `@opentelemetry/api`'s meter `adonis-exo`:
 * no-ops until the app registers an SDK. Their attributes take few values
 * (resource, event name, outcome, HTTP status), never an id.
 */
class PipelineMetrics {
  #current?: { provider: MeterProvider; instruments: Instruments }
  #countWaiting?: () => Promise<number>

  /**
   * The instruments of the provider registered now: made again when the
   * app registers its SDK after Exo started, or registers another.
   */
  #instruments(): Instruments {
    const provider = metrics.getMeterProvider()
    if (this.#current?.provider !== provider) {
      this.#current = { provider, instruments: this.#make(provider) }
    }
    return this.#current.instruments
  }

  #make(provider: MeterProvider): Instruments {
    const meter = provider.getMeter('adonis-exo')
    const waiting = meter.createObservableGauge('exo.attempts.waiting', {
      description: 'Attempts pending: scheduled, due or being sent',
      unit: '{attempt}',
    })
    waiting.addCallback(async (result) => {
      if (this.#countWaiting) result.observe(await this.#countWaiting())
    })
    return {
      eventsRecorded: meter.createCounter('exo.events.recorded', {
        description: 'Events recorded durably, to be fanned out',
        unit: '{event}',
      }),
      attempts: meter.createCounter('exo.attempts', {
        description: 'Attempts completed, by outcome',
        unit: '{attempt}',
      }),
      duration: meter.createHistogram('exo.delivery.duration', {
        description: 'How long the HTTP request of an attempt took',
        unit: 'ms',
        advice: { explicitBucketBoundaries: DURATION_BOUNDARIES },
      }),
      lag: meter.createHistogram('exo.delivery.lag', {
        description: 'From the recording of an event to the receipt of a successful attempt',
        unit: 'ms',
        advice: { explicitBucketBoundaries: LAG_BOUNDARIES },
      }),
      waiting,
    }
  }

  eventsRecorded(events: Pick<EventRecord, 'resource' | 'event'>[]) {
    const { eventsRecorded } = this.#instruments()
    for (const event of events) {
      eventsRecorded.add(1, { [ATTR.resource]: event.resource, [ATTR.eventName]: event.event })
    }
  }

  /**
   * Counts attempts completed; a sent one's request duration goes to the
   * histogram too.
   */
  attemptsCompleted(
    outcome: OutcomeLabel,
    resource: string,
    sent?: { httpStatus: number | null; durationMs: number },
    count = 1
  ) {
    const { attempts, duration } = this.#instruments()
    const attributes = {
      [ATTR.outcome]: outcome,
      [ATTR.resource]: resource,
      ...(sent?.httpStatus ? { [ATTR.httpStatus]: sent.httpStatus } : {}),
    }
    attempts.add(count, attributes)
    if (sent) duration.record(sent.durationMs, attributes)
  }

  /** The time from an event's recording to a receiver's successful answer */
  delivered(event: Pick<EventRecord, 'resource' | 'event' | 'occurredAt'>, receivedAt: number) {
    this.#instruments().lag.record(Math.max(0, receivedAt - Date.parse(event.occurredAt)), {
      [ATTR.resource]: event.resource,
      [ATTR.eventName]: event.event,
    })
  }

  /**
   * Reports `count` as the attempts waiting whenever the app's SDK collects
   * metrics (never per event); the returned function stops it.
   */
  observeWaitingAttempts(count: () => Promise<number>) {
    this.#countWaiting = count
    this.#instruments()
    return () => {
      if (this.#countWaiting === count) this.#countWaiting = undefined
    }
  }
}

export const pipelineMetrics = new PipelineMetrics()
