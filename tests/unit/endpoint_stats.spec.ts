import { test } from '@japa/runner'
import { encodeTime, TIME_LEN } from 'ulid'
import { EndpointStats } from '../../src/delivery/endpoint_stats.js'
import { databaseOfGroup, dialects, type TestDatabase } from './helpers/database.js'

/** The stats' time, a whole second: MariaDB and SQLite store seconds */
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0)
const MINUTE = 60_000

/**
 * Completed attempts of subscription 1, one a minute back from now, the
 * `index`-th with the duration, status and HTTP status `shape` gives it, as
 * the worker logs them; a pending one and another subscription's beside.
 */
async function loggedAttempts(
  database: TestDatabase,
  count: number,
  shape: (index: number) => { status: string; httpStatus: number | null; durationMs: number }
) {
  await database.addSubscription(1)
  await database.addSubscription(2)
  const attempt = (subscriptionId: number, index: number, columns: Record<string, unknown>) => {
    const at = NOW - (index + 1) * MINUTE
    const id = `dlv_${encodeTime(at, TIME_LEN)}${String(index).padStart(16, '0')}`
    return database.addAttempt(
      { id: `${id}${subscriptionId}`, subscriptionId, eventId: 'evt_1' },
      at,
      columns
    )
  }
  for (let index = 0; index < count; index++) {
    const { status, httpStatus, durationMs } = shape(index)
    await attempt(1, index, {
      status,
      http_status: httpStatus,
      duration_ms: durationMs,
      error: status === 'failed' ? `failure ${index}` : null,
    })
    await attempt(2, index, { status: 'success', http_status: 200, duration_ms: 1 })
  }
  await attempt(1, count, { status: 'pending' })
}

for (const dialect of dialects) {
  test.group(`Endpoint stats | ${dialect}`, (group) => {
    group.each.timeout(20_000)
    const database = databaseOfGroup(group, dialect)
    const clock = { now: () => NOW }

    test('a window read in bounded reads gives the figures of one read', async ({ assert }) => {
      await loggedAttempts(database, 23, (index) => ({
        status: index % 4 === 0 ? 'failed' : 'success',
        httpStatus: index % 4 === 0 ? 500 + (index % 3) : 200,
        durationMs: (index * 7) % 11,
      }))
      const whole = await new EndpointStats(database.db, clock).of(1, '24h')
      assert.containsSubset(whole, {
        attempts: 23,
        succeeded: 17,
        failed: 6,
        statusCodes: { 200: 17, 500: 2, 501: 2, 502: 2 },
      })
      assert.equal(whole.lastError!.error, 'failure 0', 'the latest failure')

      for (const attemptsPerRead of [1, 5, 23, 24]) {
        const inReads = await new EndpointStats(database.db, clock, attemptsPerRead).of(1, '24h')
        assert.deepEqual(inReads, whole, `${attemptsPerRead} at a time`)
      }
    })
  })
}
