import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/**
 * Durations in milliseconds, kept in Node's HDR histogram (node:perf_hooks)
 * at microsecond resolution.
 */
export class Durations {
  #histogram: RecordableHistogram = createHistogram()

  record(ms: number) {
    this.#histogram.record(Math.max(1, Math.round(ms * 1000)))
  }

  get count() {
    return this.#histogram.count
  }

  percentile(p: number) {
    return this.#histogram.percentile(p) / 1000
  }

  summary() {
    return {
      count: this.count,
      p50_ms: round(this.percentile(50)),
      p95_ms: round(this.percentile(95)),
      p99_ms: round(this.percentile(99)),
      max_ms: round(this.#histogram.max / 1000),
    }
  }
}

export function round(value: number, digits = 2) {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}
