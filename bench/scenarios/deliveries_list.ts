import { monotonicMs } from '../clock.js'
import type { BenchContext } from '../host_app.js'
import { ace, startServer, stop } from '../processes.js'
import { Durations } from '../stats.js'

/**
 * `rows` attempts of one subscription, with their events, written in two
 * INSERT … SELECT statements; one in a hundred failed, the others succeeded,
 * ids in time order as the package's ULIDs are.
 */
async function seedAttempts(
  { db }: BenchContext,
  subscriptionId: number,
  ownerId: number,
  rows: number
) {
  await db.rawQuery(
    `INSERT INTO exo_events (id, resource, event, data, owner_id, environment, occurred_at, dispatched_at, created_at)
     SELECT 'evt_seed' || lpad(g::text, 22, '0'), 'order', 'on_create', '{"id":' || g || '}', ?, 'production',
            to_char(now() - (? - g) * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            now() - (? - g) * interval '1 second', now() - (? - g) * interval '1 second'
     FROM generate_series(1, ?) AS g`,
    [String(ownerId), rows, rows, rows, rows]
  )
  await db.rawQuery(
    `INSERT INTO exo_deliveries (id, subscription_id, event_id, attempt, status, http_status, error, duration_ms,
                                 scheduled_at, completed_at, created_at)
     SELECT 'dlv_seed' || lpad(g::text, 22, '0'), ?, 'evt_seed' || lpad(g::text, 22, '0'), 1,
            CASE WHEN g % 100 = 0 THEN 'failed' ELSE 'success' END,
            CASE WHEN g % 100 = 0 THEN 500 ELSE 200 END,
            CASE WHEN g % 100 = 0 THEN 'HTTP 500' END, 3,
            now() - (? - g) * interval '1 second', now() - (? - g) * interval '1 second',
            now() - (? - g) * interval '1 second'
     FROM generate_series(1, ?) AS g`,
    [subscriptionId, rows, rows, rows, rows]
  )
  await db.rawQuery('ANALYZE exo_events, exo_deliveries')
}

async function timeRequests(url: string, token: string, requests: number) {
  const durations = new Durations()
  for (let index = 0; index < requests; index++) {
    const startedAt = monotonicMs()
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } })
    const page = (await response.json()) as { data: unknown[] }
    durations.record(monotonicMs() - startedAt)
    if (response.status !== 200 || page.data.length === 0) {
      throw new Error(`GET ${url} answered ${response.status}: ${JSON.stringify(page)}`)
    }
  }
  return durations.summary()
}

/**
 * `GET /exo-api/webhooks/:id/deliveries`, first page, over HTTP to the host
 * app's web server, with a bearer token from `node ace exo:token`, for a
 * subscription with `rows` attempts.
 */
export async function deliveriesList(
  ctx: BenchContext,
  { rows, requests }: { rows: number; requests: number }
) {
  const owner = await ctx.models.User.create({
    email: 'api-owner@example.com',
    password: 'benchmark-password',
    isAdmin: true,
  })
  const subscription = await ctx.models.WebhookSubscription.create({
    userId: owner.id,
    name: 'Listed',
    url: ctx.receiver.url(),
    resource: 'order',
    events: ['on_create'],
    isActive: false,
  })
  await seedAttempts(ctx, subscription.id, owner.id, rows)
  const output = await ace(['exo:token', owner.email, '--name=benchmark'], ctx.env)
  const token = output.trim().split('\n').pop()!.trim()

  const server = await startServer(ctx.env)
  try {
    const url = `${server.origin}/exo-api/webhooks/${subscription.id}/deliveries`
    await timeRequests(url, token, Math.ceil(requests / 5))
    const firstPage = await timeRequests(url, token, requests)
    const failedPage = await timeRequests(`${url}?status=failed`, token, requests)
    return {
      value: firstPage.p95_ms,
      detail: { rows, requests, first_page: firstPage, status_failed_first_page: failedPage },
    }
  } finally {
    await stop(server.process)
  }
}
