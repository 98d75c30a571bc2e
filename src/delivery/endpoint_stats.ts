import type { Database } from '@adonisjs/lucid/database'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import type { DateTime } from 'luxon'
import { systemClock, type Clock } from '../clock.js'
import { firstIdAt } from '../ids.js'
import { WebhookDelivery } from '../models/webhook_delivery.js'

const HOUR = 3_600_000

/** The periods the stats cover, each ending now */
export const STATS_WINDOWS = {
  '1h': HOUR,
  '24h': 24 * HOUR,
  '7d': 7 * 24 * HOUR,
  '30d': 30 * 24 * HOUR,
} as const

export type StatsWindow = keyof typeof STATS_WINDOWS

/** The attempts the stats count: those with an outcome */
const COMPLETED = ['success', 'failed']

/**
 * Attempts grouped per query. Bounded, an ordered read of the window stays
 * on the `(subscription_id, id)` index whatever the planner guesses: without
 * a bound, PostgreSQL takes a window of a subscription that holds most of
 * the table for a large part of it and reads the whole table instead.
 */
const ATTEMPTS_PER_READ = 50_000

interface Group {
  status: string
  http_status: number | null
  duration_ms: number | null
  total: number | string
  last: string
}

export interface LastError {
  deliveryId: string
  error: string | null
  httpStatus: number | null
  completedAt: DateTime | null
}

/** How a subscription's endpoint fared over a window */
export interface EndpointHealth {
  window: StatsWindow
  attempts: number
  succeeded: number
  failed: number
  /** `succeeded / attempts`, to four decimals; null without attempts */
  successRate: number | null
  p50Ms: number | null
  p95Ms: number | null
  /** Attempts by the HTTP status the receiver answered; those without an answer are not here */
  statusCodes: Record<string, number>
  lastError: LastError | null
}

/**
 * The durations at the given percentiles (nearest rank: the duration at rank
 * ⌈p × n⌉ in ascending order, one an attempt took) of a histogram of
 * durations, `[duration, count]` pairs.
 */
function nearestRanks(histogram: [number, number][], percents: number[]) {
  const sorted = [...histogram].sort(([a], [b]) => a - b)
  const total = sorted.reduce((sum, [, count]) => sum + count, 0)
  return percents.map((percent) => {
    let seen = 0
    // The first duration whose running count reaches p × n, in whole numbers
    const reached = sorted.find(([, count]) => (seen += count) * 100 >= percent * total)
    return reached ? reached[0] : null
  })
}

/**
 * A subscription's endpoint health over a recent window, read from the
 * activity log: completed attempts made in the window, by outcome and by
 * HTTP status, the median and 95th percentile of their duration, and the
 * latest failure.
 *
 * A window is the range of attempt ids made since its start, on the
 * `(subscription_id, id)` index the activity log pages with: no index of its
 * own for the writes to keep up. The window's attempts are read grouped by
 * outcome, HTTP status and duration (a few hundred groups where durations
 * cluster), in bounded reads; the figures, percentiles included, are read
 * off those groups, so every dialect answers alike.
 */
export class EndpointStats {
  constructor(
    private db: Database,
    private clock: Clock = systemClock,
    private attemptsPerRead = ATTEMPTS_PER_READ
  ) {}

  async of(subscriptionId: number, window: StatsWindow): Promise<EndpointHealth> {
    const client = this.db.connection()
    const since = firstIdAt('dlv', this.clock.now() - STATS_WINDOWS[window])
    const [groups, lastError] = await Promise.all([
      this.#groups(client, subscriptionId, since),
      WebhookDelivery.query({ client })
        .where('subscription_id', subscriptionId)
        .where('id', '>=', since)
        .select('id', 'error', 'http_status', 'completed_at')
        .where('status', 'failed')
        .orderBy('id', 'desc')
        .first(),
    ])

    let succeeded = 0
    let failed = 0
    const statusCodes: Record<string, number> = {}
    const durations = new Map<number, number>()
    for (const group of groups) {
      const total = Number(group.total)
      if (group.status === 'success') succeeded += total
      else failed += total
      if (group.http_status !== null) {
        const code = String(group.http_status)
        statusCodes[code] = (statusCodes[code] ?? 0) + total
      }
      if (group.duration_ms !== null) {
        const duration = Number(group.duration_ms)
        durations.set(duration, (durations.get(duration) ?? 0) + total)
      }
    }
    const attempts = succeeded + failed
    const [p50, p95] = nearestRanks([...durations], [50, 95])

    return {
      window,
      attempts,
      succeeded,
      failed,
      successRate: attempts === 0 ? null : Math.round((succeeded / attempts) * 10_000) / 10_000,
      p50Ms: p50,
      p95Ms: p95,
      statusCodes,
      lastError: lastError
        ? {
            deliveryId: lastError.id,
            error: lastError.error,
            httpStatus: lastError.httpStatus === null ? null : Number(lastError.httpStatus),
            completedAt: lastError.completedAt,
          }
        : null,
    }
  }

  /**
   * The window's completed attempts grouped by outcome, HTTP status and
   * duration, read in id order, `attemptsPerRead` at a time; a group may
   * come once per read.
   */
  async #groups(client: QueryClientContract, subscriptionId: number, since: string) {
    const groups: Group[] = []
    let after: string | null = null
    for (;;) {
      const read = client
        .from('exo_deliveries')
        .where('subscription_id', subscriptionId)
        .where('id', after === null ? '>=' : '>', after ?? since)
        .whereIn('status', COMPLETED)
        .select('status', 'http_status', 'duration_ms', 'id')
        .orderBy('id')
        .limit(this.attemptsPerRead)
      const page: Group[] = await client
        .from(read.as('window_attempts'))
        .select('status', 'http_status', 'duration_ms')
        .count('* as total')
        .max('id as last')
        .groupBy('status', 'http_status', 'duration_ms')
      groups.push(...page)
      const counted = page.reduce((sum, group) => sum + Number(group.total), 0)
      if (counted < this.attemptsPerRead) return groups
      after = page.reduce((last, group) => (group.last > last ? group.last : last), '')
    }
  }
}
