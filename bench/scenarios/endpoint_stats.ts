import { timeRequests, withSeededApi } from '../api_subject.js'
import type { BenchContext } from '../host_app.js'

const DAYS = 30

/**
 * `GET /exo-api/webhooks/:id/stats`, over HTTP to the host app's web
 * server, for a subscription with `rows` attempts spread evenly over the
 * last 30 days: `?window=24h` gives the figure, `?window=7d` is timed too.
 */
export async function endpointStats(
  ctx: BenchContext,
  { rows, requests }: { rows: number; requests: number }
) {
  const seed = {
    owner: 'stats-owner@example.com',
    rows,
    stepMs: Math.floor((DAYS * 86_400_000) / rows),
  }
  return withSeededApi(ctx, seed, async ({ origin, token, subscriptionId }) => {
    const url = (window: string) =>
      `${origin}/exo-api/webhooks/${subscriptionId}/stats?window=${window}`
    const counted = (stats: { attempts: number }) => stats.attempts > 0
    await timeRequests(url('24h'), token, Math.ceil(requests / 5), counted)
    const day = await timeRequests(url('24h'), token, requests, counted)
    const week = await timeRequests(url('7d'), token, requests, counted)
    return { value: day.p95_ms, detail: { rows, requests, window_24h: day, window_7d: week } }
  })
}
