import type { SendResult } from './sender.js'

/**
 * When the attempt after `attempt` is due, as a delay from now, or null when
 * the schedule has no attempt left.
 */
export interface BackoffStrategy {
  firstDelay(): number
  nextDelay(
    attempt: number,
    result?: Pick<SendResult, 'httpStatus' | 'responseHeaders'>
  ): number | null
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

  nextDelay(attempt: number, result?: Pick<SendResult, 'httpStatus' | 'responseHeaders'>) {
    if (attempt >= this.steps.length) return null
    if (result?.httpStatus === 429 || result?.httpStatus === 503) {
      const asked = retryAfterMs(result.responseHeaders?.['retry-after'])
      if (asked !== null) return Math.min(asked, this.#largestStep)
    }
    const step = this.steps[attempt]
    return Math.round(step + step * 0.1 * this.random())
  }
}
