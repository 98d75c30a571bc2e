import { monotonicMs } from './clock.js'
import type { BenchContext } from './host_app.js'
import { ace, startServer, stop } from './processes.js'
import { Durations } from './stats.js'

/**
 * `rows` attempts of one subscription, with their events, written in two
 * INSERT … SELECT statements, the newest now and each `stepMs` before the
 * next. Ids are ULIDs of their moment, as the package's are: the time in
 * Crockford's base 32, then the subscription and a counter where a ULID has
 * its random part. One attempt in a hundred failed (one in three of those
 * timed out, without an HTTP status), the others succeeded; durations run
 * from 5 to 404 ms.
 */
async function seedAttempts(
  { db }: BenchContext,
  { subscriptionId, ownerId }: { subscriptionId: number; ownerId: number },
  { rows, stepMs }: { rows: number; stepMs: number }
) {
  const seeded = `
    FROM generate_series(1, :rows) AS g
    CROSS JOIN LATERAL (
      SELECT :now::bigint - (:rows - g) * :stepMs::bigint AS ms
    ) AS moment
    CROSS JOIN LATERAL (
      SELECT string_agg(substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((moment.ms >> (5 * (9 - i))) & 31)::int + 1, 1), '' ORDER BY i)
             || lpad(:subscriptionId::text, 4, '0') || lpad(g::text, 12, '0') AS ulid,
             to_timestamp(moment.ms / 1000.0) AS at
      FROM generate_series(0, 9) AS i
    ) AS made`
  // One moment for both statements, so each attempt's event id is its event's
  const bindings = { now: Date.now(), rows, stepMs, subscriptionId, ownerId: String(ownerId) }
  await db.rawQuery(
    `INSERT INTO exo_events (id, resource, event, data, owner_id, environment, occurred_at, dispatched_at, created_at)
     SELECT 'evt_' || made.ulid, 'order', 'on_create', '{"id":' || g || '}', :ownerId, 'production',
            to_char(made.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), made.at, made.at
     ${seeded}`,
    bindings
  )
  await db.rawQuery(
    `INSERT INTO exo_deliveries (id, subscription_id, event_id, attempt, status, http_status, error, duration_ms,
                                 scheduled_at, completed_at, created_at)
     SELECT 'dlv_' || made.ulid, :subscriptionId, 'evt_' || made.ulid, 1,
            CASE WHEN g % 100 = 0 THEN 'failed' ELSE 'success' END,
            CASE WHEN g % 300 = 0 THEN NULL WHEN g % 100 = 0 THEN 500 ELSE 200 END,
            CASE WHEN g % 300 = 0 THEN 'Timed out after 30s' WHEN g % 100 = 0 THEN 'HTTP 500' END,
            5 + (g::bigint * 7919) % 400, made.at, made.at, made.at
     ${seeded}`,
    bindings
  )
  await db.rawQuery('ANALYZE exo_events, exo_deliveries')
}

/**
 * Times `requests` GETs of `url` one after the other, each answer checked
 * by `check`.
 */
export async function timeRequests(
  url: string,
  token: string,
  requests: number,
  check: (body: any) => boolean
) {
  const durations = new Durations()
  for (let index = 0; index < requests; index++) {
    const startedAt = monotonicMs()
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } })
    const body = await response.json()
    durations.record(monotonicMs() - startedAt)
    if (response.status !== 200 || !check(body)) {
      throw new Error(`GET ${url} answered ${response.status}: ${JSON.stringify(body)}`)
    }
  }
  return durations.summary()
}

/**
 * An admin's subscription with `rows` attempts, a bearer token of theirs
 * from `node ace exo:token`, and the host app's web server, for `run` to
 * time the API with over HTTP; the server is stopped after.
 */
export async function withSeededApi<Result>(
  ctx: BenchContext,
  seed: { owner: string; rows: number; stepMs: number },
  run: (api: { origin: string; token: string; subscriptionId: number }) => Promise<Result>
) {
  const owner = await ctx.models.User.create({
    email: seed.owner,
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
  await seedAttempts(ctx, { subscriptionId: subscription.id, ownerId: owner.id }, seed)
  const output = await ace(['exo:token', owner.email, '--name=benchmark'], ctx.env)
  const token = output.trim().split('\n').pop()!.trim()

  const server = await startServer(ctx.env)
  try {
    return await run({ origin: server.origin, token, subscriptionId: subscription.id })
  } finally {
    await stop(server.process)
  }
}
