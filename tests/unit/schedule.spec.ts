import { test } from '@japa/runner'
import {
  backoffStrategy,
  retryAfterMs,
  ScheduleBackoff,
  type BackoffStrategy,
} from '../../src/outcome/schedule.js'

const noJitter = () => 0

test.group('ScheduleBackoff', () => {
  test('one step per attempt, none after the last', ({ assert }) => {
    const schedule = new ScheduleBackoff([0, 30_000, 120_000], noJitter)
    assert.equal(schedule.firstDelay(), 0)
    assert.equal(schedule.nextDelay(1), 30_000)
    assert.equal(schedule.nextDelay(2), 120_000)
    assert.isNull(schedule.nextDelay(3))
    assert.equal(schedule.nextDelay(0), 0, 'the first attempt is part of the schedule')
  })

  test('adds up to 10% of jitter to a retry', ({ assert }) => {
    assert.equal(new ScheduleBackoff([0, 30_000], () => 0.999).nextDelay(1), 32_997)
  })

  test('429 and 503 wait as Retry-After asks, capped by the largest step', ({ assert }) => {
    const schedule = new ScheduleBackoff([0, 30_000, 60_000], noJitter)
    const answer = (httpStatus: number, retryAfter: string) => ({
      httpStatus,
      responseHeaders: { 'retry-after': retryAfter },
    })
    assert.equal(schedule.nextDelay(1, answer(429, '2')), 2000)
    assert.equal(schedule.nextDelay(1, answer(503, '3600')), 60_000)
    assert.equal(schedule.nextDelay(1, answer(500, '2')), 30_000, 'only 429 and 503')
    assert.isNull(schedule.nextDelay(3, answer(429, '2')), 'not beyond the schedule')
  })
})

test.group('retryAfterMs', () => {
  test('reads seconds and HTTP dates', ({ assert }) => {
    const now = Date.parse('2026-03-28T14:30:00Z')
    assert.equal(retryAfterMs(' 120 ', now), 120_000)
    assert.equal(retryAfterMs('Sat, 28 Mar 2026 14:30:05 GMT', now), 5000)
    assert.equal(retryAfterMs('Sat, 28 Mar 2026 14:29:00 GMT', now), 0, 'a date gone by')
    assert.isNull(retryAfterMs('soon', now))
    assert.isNull(retryAfterMs(undefined, now))
  })
})

test.group('backoffStrategy', () => {
  test('steps become a ScheduleBackoff, a strategy is kept as is', ({ assert }) => {
    const schedule = backoffStrategy([0, 1000])
    assert.instanceOf(schedule, ScheduleBackoff)
    assert.equal(schedule.firstDelay(), 0)
    assert.isNull(schedule.nextDelay(2))

    const strategy: BackoffStrategy = { firstDelay: () => 5, nextDelay: () => null }
    assert.strictEqual(backoffStrategy(strategy), strategy)
  })
})
