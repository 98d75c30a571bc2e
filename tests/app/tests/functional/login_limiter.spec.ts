import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import exo from 'adonis-exo/services/main'
import { PrivateRedis, restartRedis } from '#tests/helpers/redis_server'

function anyEmail() {
  return `limited-${randomUUID()}@example.com`
}

test.group('Dashboard | failed sign-ins limiter', () => {
  test('the fifth failure blocks the email from that address for 15 minutes', async ({
    assert,
  }) => {
    const email = anyEmail()
    for (let failure = 1; failure <= 4; failure++) {
      assert.equal(await exo.loginLimiter.recordFailure(email, '192.0.2.1'), 0)
    }
    assert.equal(await exo.loginLimiter.retryAfter(email, '192.0.2.1'), 0)

    const blocked = await exo.loginLimiter.recordFailure(email, '192.0.2.1')
    assert.closeTo(blocked, 15 * 60_000, 5_000)
    assert.isAbove(await exo.loginLimiter.retryAfter(email, '192.0.2.1'), 14 * 60_000)
    assert.equal(await exo.loginLimiter.retryAfter(email, '192.0.2.2'), 0, 'another address')
    assert.isAbove(
      await exo.loginLimiter.retryAfter(` ${email.toUpperCase()}`, '192.0.2.1'),
      0,
      'whatever the case and spaces of the email'
    )
  })

  test('a success clears the failures', async ({ assert }) => {
    const email = anyEmail()
    for (let failure = 1; failure <= 4; failure++) {
      await exo.loginLimiter.recordFailure(email, '192.0.2.1')
    }
    await exo.loginLimiter.clear(email, '192.0.2.1')
    assert.equal(await exo.loginLimiter.recordFailure(email, '192.0.2.1'), 0)
  })

  test('while Redis is down, failures are still counted, in memory', async ({
    assert,
    cleanup,
  }) => {
    const redis = PrivateRedis.current!
    await redis.stop()
    cleanup(() => restartRedis())

    const email = anyEmail()
    for (let failure = 1; failure <= 4; failure++) {
      assert.equal(await exo.loginLimiter.recordFailure(email, '192.0.2.1'), 0)
    }
    assert.isAbove(await exo.loginLimiter.recordFailure(email, '192.0.2.1'), 0)
    assert.isAbove(await exo.loginLimiter.retryAfter(email, '192.0.2.1'), 0)
  })
})
