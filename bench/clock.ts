/**
 * Milliseconds on the machine's monotonic clock (CLOCK_MONOTONIC), which
 * every process on the machine shares: a save timed in the bench process and
 * its receipt timed in the receiver's process compare directly.
 */
export function monotonicMs() {
  return Number(process.hrtime.bigint()) / 1e6
}
