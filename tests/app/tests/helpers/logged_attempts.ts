import type { DateTime } from 'luxon'
import { ulid } from 'ulid'
import { WebhookDelivery } from 'adonis-exo'

/**
 * An attempt written straight to the activity log as made at `at`, with the
 * outcome given: its id is a ULID of that moment, as the package's are, so
 * it falls in the periods a real attempt of then would.
 */
export function loggedAttempt(
  subscriptionId: number,
  at: DateTime,
  outcome: {
    status: WebhookDelivery['status']
    httpStatus?: number | null
    durationMs?: number | null
    error?: string | null
  }
) {
  return WebhookDelivery.create({
    id: `dlv_${ulid(at.toMillis())}`,
    subscriptionId,
    eventId: `evt_${ulid(at.toMillis())}`,
    attempt: 1,
    httpStatus: null,
    durationMs: null,
    error: null,
    ...outcome,
    scheduledAt: at,
    completedAt: outcome.status === 'pending' ? null : at,
    createdAt: at,
  })
}

/**
 * The p-th percentile of `durations`, nearest-rank: the value at rank
 * ⌈p × n⌉ in ascending order, as the stats answer it.
 */
export function nearestRank(durations: number[], p: number) {
  const sorted = [...durations].sort((a, b) => a - b)
  return sorted[Math.ceil(p * sorted.length) - 1]
}
