/**
 * When the attempt after `attempt` is due, as a delay from now, following the
 * backoff schedule (one step per attempt), or null when none is left.
 */
export interface BackoffStrategy {
  nextDelay(attempt: number): number | null
  firstDelay(): number
}

export class ScheduleBackoff implements BackoffStrategy {
  constructor(private steps: number[]) {}

  firstDelay() {
    return this.steps[0]
  }

  nextDelay(attempt: number) {
    return attempt < this.steps.length ? this.steps[attempt] : null
  }
}
