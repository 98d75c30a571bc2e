import { setTimeout as sleep } from 'node:timers/promises'

export interface WaitOptions {
  /** Milliseconds before giving up: 15 s unless said */
  timeout?: number
  /** Milliseconds between two probes: 50 unless said */
  every?: number
  /** What is waited for, named in the error */
  what?: string
}

/**
 * Polls `probe` until `accept` takes its value, and returns that value;
 * fails after `timeout` ms with the last value seen. The tests' one way to
 * wait: for a receiver's request, a row, an event the worker emitted, a
 * process's state, never for a fixed time.
 */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  accept: (value: T) => boolean,
  { timeout = 15_000, every = 50, what = 'The condition' }: WaitOptions = {}
): Promise<T> {
  const deadline = Date.now() + timeout
  for (;;) {
    const value = await probe()
    if (accept(value)) return value
    if (Date.now() > deadline) {
      const last = JSON.stringify(value) ?? String(value)
      throw new Error(`${what} was not met in ${timeout}ms; last seen: ${last.slice(0, 2000)}`)
    }
    // The interval between two probes, not a guess at how long something takes
    await sleep(every)
  }
}
