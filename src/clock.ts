/**
 * Where the pipeline reads the time it decides by (when an attempt is due,
 * when an event was left behind, what is old enough to prune): the system's,
 * or one a test sets.
 */
export interface Clock {
  /** Milliseconds since the epoch */
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }
