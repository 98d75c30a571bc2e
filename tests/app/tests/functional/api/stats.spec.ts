import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import type { ExoApi } from '#tests/helpers/api'
import {
  apiSubscribedReceiver,
  apiSubscription,
  apiUser,
  completedAttempts,
  createSubscription,
  deleteSubscriptions,
  errorFields,
} from '#tests/helpers/api_fixtures'
import { deliveredOrder } from '#tests/helpers/fixtures'
import { loggedAttempt, nearestRank } from '#tests/helpers/logged_attempts'
import { closedUrl, receiverFor } from '#tests/helpers/receiver'

const STATS_KEYS = [
  'window',
  'attempts',
  'succeeded',
  'failed',
  'success_rate',
  'p50_ms',
  'p95_ms',
  'status_codes',
  'last_error',
]

async function ping(api: ExoApi, id: number, status: number) {
  const response = await api.post(`/webhooks/${id}/ping`)
  response.assertStatus(status)
  return response.body()
}

async function statsOf(api: ExoApi, id: number, window?: string) {
  const response = await api.get(`/webhooks/${id}/stats`).qs(window ? { window } : {})
  response.assertStatus(200)
  return response.body()
}

test.group('API | GET /webhooks/:id/stats', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('counts real deliveries: successes, failures, status codes and the last error', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { receiver, user, api, id } = await apiSubscribedReceiver({ client, cleanup })
    await deliveredOrder(user, receiver)
    await completedAttempts(id, 1)
    for (let index = 0; index < 2; index++) {
      await ping(api, id, 200)
    }
    receiver.respondWith(500)
    for (let index = 0; index < 2; index++) {
      await ping(api, id, 502)
    }
    receiver.respondWith(503)
    await ping(api, id, 502)
    // Nothing listens there: the attempt fails without an HTTP status
    const moved = await api.patch(`/webhooks/${id}`).json({ url: await closedUrl() })
    moved.assertStatus(200)
    const refused = await ping(api, id, 502)

    const attempts = await completedAttempts(id, 7)
    const body = await statsOf(api, id)
    assert.deepEqual(Object.keys(body), STATS_KEYS)
    const durations = attempts.map((attempt) => attempt.durationMs!)
    const last = attempts[attempts.length - 1]
    assert.deepEqual(body, {
      window: '24h',
      attempts: 7,
      succeeded: 3,
      failed: 4,
      success_rate: 0.4286,
      p50_ms: nearestRank(durations, 0.5),
      p95_ms: nearestRank(durations, 0.95),
      status_codes: { 200: 3, 500: 2, 503: 1 },
      last_error: {
        delivery_id: last.id,
        error: refused.error,
        http_status: null,
        completed_at: last.completedAt!.toUTC().toISO(),
      },
    })
    assert.match(body.last_error.error, /ECONNREFUSED/)
  })

  test('a receiver that does not answer within the timeout is the last error', async ({
    client,
    assert,
    cleanup,
  }) => {
    // tests/app's timeout is 2 s (.env.test)
    const { api, id } = await apiSubscribedReceiver({ client, cleanup }, { delayMs: 10_000 })
    const timedOut = await ping(api, id, 502)
    const [attempt] = await completedAttempts(id, 1)

    const body = await statsOf(api, id, '1h')
    assert.containsSubset(body, {
      attempts: 1,
      succeeded: 0,
      failed: 1,
      success_rate: 0,
      p50_ms: attempt.durationMs,
      p95_ms: attempt.durationMs,
      status_codes: {},
      last_error: { delivery_id: attempt.id, error: timedOut.error, http_status: null },
    })
    assert.equal(timedOut.error, 'Timed out after 2000ms')
  })

  test('percentiles are nearest-rank over the durations of completed attempts', async ({
    client,
    assert,
  }) => {
    const { api, id } = await apiSubscription(client, 'https://example.com/hook')
    const now = DateTime.now()
    // Durations 1 to 20 ms, logged in a shuffled order
    const durations = [7, 19, 3, 12, 1, 20, 15, 9, 4, 17, 2, 11, 14, 6, 18, 10, 5, 16, 8, 13]
    for (const [index, durationMs] of durations.entries()) {
      await loggedAttempt(id, now.minus({ minutes: 50 - index }), {
        status: index % 5 === 0 ? 'failed' : 'success',
        httpStatus: index % 5 === 0 ? 500 : 200,
        durationMs,
      })
    }
    // Neither a pending attempt nor a duration-less cancelled one moves the percentiles
    await loggedAttempt(id, now.minus({ minutes: 2 }), { status: 'pending' })
    await loggedAttempt(id, now.minus({ minutes: 1 }), {
      status: 'failed',
      error: 'Cancelled: 20 consecutive failed attempts',
    })

    assert.containsSubset(await statsOf(api, id), {
      attempts: 21,
      succeeded: 16,
      failed: 5,
      success_rate: 0.7619,
      // ⌈0.5 × 20⌉ = 10th and ⌈0.95 × 20⌉ = 19th of 1…20
      p50_ms: 10,
      p95_ms: 19,
      status_codes: { 200: 16, 500: 4 },
      last_error: {
        error: 'Cancelled: 20 consecutive failed attempts',
        http_status: null,
      },
    })
  })

  test('percentiles of {title}')
    .with([
      { title: 'a single attempt', durations: [42], p50: 42, p95: 42 },
      { title: 'three attempts', durations: [100, 5, 7], p50: 7, p95: 100 },
      { title: 'a slow tail', durations: [...Array(19).fill(10), 5000], p50: 10, p95: 10 },
      {
        title: 'two slow in twenty',
        durations: [...Array(18).fill(10), 900, 5000],
        p50: 10,
        p95: 900,
      },
    ])
    .run(async ({ client, assert }, { durations, p50, p95 }) => {
      const { api, id } = await apiSubscription(client, 'https://example.com/hook')
      const now = DateTime.now()
      for (const [index, durationMs] of durations.entries()) {
        await loggedAttempt(id, now.minus({ seconds: 100 - index }), {
          status: 'success',
          httpStatus: 200,
          durationMs,
        })
      }
      const body = await statsOf(api, id)
      assert.deepEqual([body.p50_ms, body.p95_ms], [p50, p95])
    })

  test('each window counts the attempts made in it; 24h by default', async ({ client, assert }) => {
    const { api, id } = await apiSubscription(client, 'https://example.com/hook')
    const now = DateTime.now()
    const ages = [{ minutes: 30 }, { hours: 2 }, { days: 2 }, { days: 10 }, { days: 40 }]
    for (const [index, age] of ages.entries()) {
      await loggedAttempt(id, now.minus(age), {
        status: 'failed',
        httpStatus: 500 + index,
        durationMs: 100 * (index + 1),
        error: `HTTP ${500 + index}`,
      })
    }

    const counted: Record<string, unknown> = {}
    for (const window of ['1h', '24h', '7d', '30d']) {
      const body = await statsOf(api, id, window)
      counted[window] = [body.window, body.attempts, body.p95_ms, body.last_error.error]
    }
    assert.deepEqual(counted, {
      '1h': ['1h', 1, 100, 'HTTP 500'],
      '24h': ['24h', 2, 200, 'HTTP 500'],
      '7d': ['7d', 3, 300, 'HTTP 500'],
      '30d': ['30d', 4, 400, 'HTTP 500'],
    })
    const byDefault = await statsOf(api, id)
    assert.equal(byDefault.window, '24h')
    const month = await statsOf(api, id, '30d')
    assert.deepEqual(month.status_codes, {
      500: 1,
      501: 1,
      502: 1,
      503: 1,
    })
  })

  test('without attempts the rate and percentiles are null', async ({ client, assert }) => {
    const { api, id } = await apiSubscription(client, 'https://example.com/hook')
    await loggedAttempt(id, DateTime.now(), { status: 'pending' })
    assert.deepEqual(await statsOf(api, id, '7d'), {
      window: '7d',
      attempts: 0,
      succeeded: 0,
      failed: 0,
      success_rate: null,
      p50_ms: null,
      p95_ms: null,
      status_codes: {},
      last_error: null,
    })
  })

  test("counts only that subscription's attempts", async ({ client, assert, cleanup }) => {
    const receiver = await receiverFor(cleanup)
    const { api, id } = await apiSubscription(client, receiver.url)
    const other = await createSubscription(api, receiver.url)
    await ping(api, id, 200)
    receiver.respondWith(500)
    await ping(api, other.id, 502)

    assert.containsSubset(await statsOf(api, id), {
      attempts: 1,
      succeeded: 1,
      status_codes: { 200: 1 },
      last_error: null,
    })
    assert.containsSubset(await statsOf(api, other.id), { attempts: 1, failed: 1 })
  })

  test('refuses window={title} with a 422 naming window')
    .with([
      { title: '2h', qs: 'window=2h' },
      { title: 'empty', qs: 'window=' },
      { title: '24H', qs: 'window=24H' },
      { title: 'twice', qs: 'window=1h&window=7d' },
      { title: 'an object', qs: 'window[a]=1h' },
    ])
    .run(async ({ client, assert }, { qs }) => {
      const { api, id } = await apiSubscription(client, 'https://example.com/hook')
      const response = await api.get(`/webhooks/${id}/stats`).qs(qs, undefined)
      response.assertStatus(422)
      assert.deepEqual(errorFields(response), ['window'])
      assert.equal(
        response.body().errors[0].message,
        'The window field must be one of 1h, 24h, 7d, 30d'
      )
    })

  test('is a 404 for {title}')
    .with([
      { title: 'an unknown id', as: 'owner', id: () => 999_999_999 },
      { title: 'a subscription of another user', as: 'stranger', id: (own: number) => own },
      { title: 'another user’s, asked by an admin', as: 'admin', id: (own: number) => own },
    ])
    .run(async ({ client, assert }, { as, id }) => {
      const owner = await apiSubscription(client, 'https://example.com/hook')
      await loggedAttempt(owner.id, DateTime.now(), {
        status: 'failed',
        httpStatus: 500,
        durationMs: 5,
        error: 'HTTP 500',
      })
      const stranger = await apiUser(client)
      const admin = await apiUser(client, { isAdmin: true })
      const callers = { owner: owner.api, stranger: stranger.api, admin: admin.api }
      const response = await callers[as as keyof typeof callers]
        .get(`/webhooks/${id(owner.id)}/stats`)
        .qs({ window: 'nope' })
      response.assertStatus(404)
      assert.deepEqual(response.body(), { message: 'No webhook subscription has this id' })
    })
})
