import type { SendResult } from '../delivery/sender.js'

/** What a failed attempt got back: its status (null without one) and response headers */
export type FailedAttempt = Pick<SendResult, 'httpStatus' | 'responseHeaders'>

/**
 * When attempts are due, in milliseconds from now. `config/exo.ts` takes one
 * as `delivery.backoff` in place of a list of steps.
 */
export interface BackoffStrategy {
  /** The delay of an event's first attempt, from its fan-out */
  firstDelay(): number
  /**
   * The delay of the attempt after `attempt` (attempts count from 1), from
   * the end of `attempt`, or null when there is none. Without `result` it
   * asks only whether that next attempt is part of the schedule (`0`: the
   * first): an interrupted attempt is sent again at once when it is.
   */
  nextDelay(attempt: number, result?: FailedAttempt): number | null
}

/**
 * Milliseconds a `Retry-After` header asks to wait (seconds or an HTTP date).
 */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? null : Math.max(0, date - now)
}

/**
 * The configured `delivery.backoff`: one step per attempt. A 429 or 503 with
 * `Retry-After` waits as asked, capped by the largest step; other delays get
 * up to 10% of jitter so the retries of many events do not arrive together.
 */
export class ScheduleBackoff implements BackoffStrategy {
  #largestStep: number

  constructor(
    private steps: number[],
    private random = Math.random
  ) {
    this.#largestStep = Math.max(...steps)
  }

  firstDelay() {
    return this.steps[0]
  }

  nextDelay(attempt: number, result?: FailedAttempt) {
    if (attempt >= this.steps.length) return null
    if (result?.httpStatus === 429 || result?.httpStatus === 503) {
      const asked = retryAfterMs(result.responseHeaders?.['retry-after'])
      if (asked !== null) return Math.min(asked, this.#largestStep)
    }
    const step = this.steps[attempt]
    return Math.round(step + step * 0.1 * this.random())
  }
}

/**
 * The strategy of a `delivery.backoff` (or a model's `webhookBackoff`): a
 * list of steps in milliseconds is a `ScheduleBackoff`, a strategy is itself.
 */
export function backoffStrategy(backoff: number[] | BackoffStrategy): BackoffStrategy {
  return Array.isArray(backoff) ? new ScheduleBackoff(backoff) : backoff
}
