import { randomInt, randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import { Redis } from 'ioredis'
import exo from 'adonis-exo/services/main'
import env from '#start/env'
import { PrivateRedis, restartRedis } from '#tests/helpers/redis_server'

function anyEmail() {
  return `limited-${randomUUID()}@example.com`
}

/** An address of its own for each test: the limit across emails counts per address */
function anyAddress() {
  return `198.18.${randomInt(256)}.${randomInt(1, 255)}`
}

const SIGNED_IN = { id: 1 }

/** A sign-in with a wrong password: the seconds it is refused for, 0 when it may try again */
async function wrongPassword(email: string, ip: string) {
  const [throttle, user] = await exo.loginLimiter.penalize(email, ip, async () => null)
  if (user) throw new Error('A wrong password signed in')
  return throttle?.retryAfter ?? 0
}

/** A sign-in with the right password: the seconds it is refused for, 0 when it signed in */
async function rightPassword(email: string, ip: string) {
  const [throttle, user] = await exo.loginLimiter.penalize(email, ip, async () => SIGNED_IN)
  if (!throttle && user !== SIGNED_IN) throw new Error('The right password was refused unthrottled')
  return throttle?.retryAfter ?? 0
}

test.group('Dashboard | failed sign-ins limiter', () => {
  test('the fifth failure blocks the email from that address for 15 minutes', async ({
    assert,
  }) => {
    const [email, ip] = [anyEmail(), anyAddress()]
    for (let failure = 1; failure <= 4; failure++) {
      assert.equal(await wrongPassword(email, ip), 0, `failure ${failure}`)
    }
    assert.equal(await exo.loginLimiter.retryAfter(email, ip), 0)

    assert.closeTo(await wrongPassword(email, ip), 15 * 60, 5)
    assert.isAbove(await exo.loginLimiter.retryAfter(email, ip), 14 * 60)
    assert.equal(await exo.loginLimiter.retryAfter(email, anyAddress()), 0, 'another address')
    assert.isAbove(
      await exo.loginLimiter.retryAfter(` ${email.toUpperCase()}`, ip),
      0,
      'whatever the case and spaces of the email'
    )
    assert.isAbove(await rightPassword(email, ip), 14 * 60, 'the right password is refused too')
    assert.equal(await rightPassword(email, anyAddress()), 0, 'from another address it signs in')
  })

  test('the tenth failure locks the account for 15 minutes, whatever the address', async ({
    assert,
  }) => {
    const email = anyEmail()
    for (let failure = 1; failure <= 9; failure++) {
      assert.equal(await wrongPassword(email, anyAddress()), 0, `failure ${failure}`)
    }
    assert.closeTo(await wrongPassword(email, anyAddress()), 15 * 60, 5)

    assert.isAbove(await exo.loginLimiter.retryAfter(email, anyAddress()), 14 * 60)
    assert.isAbove(
      await rightPassword(email, anyAddress()),
      14 * 60,
      'the right password is refused'
    )
    assert.isAbove(await wrongPassword(email, anyAddress()), 14 * 60)
    assert.equal(await rightPassword(anyEmail(), anyAddress()), 0, 'other accounts sign in')
  })

  test('a failure refused while locked is not counted', async ({ assert }) => {
    const [email, ip] = [anyEmail(), anyAddress()]
    for (let failure = 1; failure <= 5; failure++) await wrongPassword(email, ip)
    for (let refused = 1; refused <= 20; refused++) {
      assert.isAbove(await wrongPassword(email, ip), 0, `refused ${refused}`)
    }

    // Only the first 5 counted towards the account's 10
    for (let failure = 6; failure <= 9; failure++) {
      assert.equal(await wrongPassword(email, anyAddress()), 0, `failure ${failure}`)
    }
    assert.isAbove(await wrongPassword(email, anyAddress()), 0, 'failure 10')
  })

  test('concurrent guesses cannot slip past the limit', async ({ assert }) => {
    const email = anyEmail()
    let checked = 0
    const guess = () =>
      exo.loginLimiter.penalize(email, anyAddress(), async () => {
        checked++
        await new Promise((resolve) => setTimeout(resolve, 20))
        return null
      })
    const answers = await Promise.all(Array.from({ length: 40 }, guess))

    assert.equal(checked, 10, 'passwords checked')
    assert.equal(answers.filter(([throttle]) => throttle).length, 31)
  })

  test('the right password clears the account’s failures', async ({ assert }) => {
    const [email, ip] = [anyEmail(), anyAddress()]
    for (let failure = 1; failure <= 4; failure++) await wrongPassword(email, ip)
    for (let failure = 5; failure <= 9; failure++) await wrongPassword(email, anyAddress())
    assert.equal(await rightPassword(email, ip), 0)

    for (let failure = 1; failure <= 4; failure++) {
      assert.equal(await wrongPassword(email, ip), 0, `failure ${failure} after the sign-in`)
    }
    assert.isAbove(await wrongPassword(email, ip), 0, 'the fifth from that address blocks again')
  })

  test('signing into one’s own account resets no other count', async ({ assert }) => {
    const [victim, attacker, ip] = [anyEmail(), anyEmail(), anyAddress()]
    for (let failure = 1; failure <= 9; failure++) await wrongPassword(victim, anyAddress())
    assert.equal(await rightPassword(attacker, ip), 0)
    assert.closeTo(await wrongPassword(victim, ip), 15 * 60, 5, 'the tenth failure still locks')
  })

  test('50 failures from one address block it for every email', async ({ assert }) => {
    const ip = anyAddress()
    for (let failure = 1; failure <= 49; failure++) {
      assert.equal(await wrongPassword(anyEmail(), ip), 0, `failure ${failure}`)
    }
    assert.equal(await rightPassword(anyEmail(), ip), 0, 'a success does not count, nor reset')
    assert.closeTo(await wrongPassword(anyEmail(), ip), 15 * 60, 5)

    assert.isAbove(await rightPassword(anyEmail(), ip), 14 * 60, 'any email from that address')
    assert.equal(await rightPassword(anyEmail(), anyAddress()), 0, 'other addresses sign in')
  })

  test('every key is under the login prefix, the email in lower case', async ({
    assert,
    cleanup,
  }) => {
    const [email, ip] = [anyEmail(), anyAddress()]
    await wrongPassword(email.toUpperCase(), ip)

    const redis = new Redis({ host: '127.0.0.1', port: env.get('QUEUE_REDIS_PORT') })
    cleanup(() => redis.quit().then(() => {}))
    const all = await redis.keys('*')
    const keys = all.filter((key) => key.includes(email) || key.includes(ip))
    assert.lengthOf(keys, 3)
    for (const key of keys) assert.isTrue(key.startsWith(`exo:${exo.config.namespace}:login:`), key)
  })

  test('while Redis is down, failures are still counted, in memory', async ({
    assert,
    cleanup,
  }) => {
    const redis = PrivateRedis.current!
    await redis.stop()
    cleanup(() => restartRedis())

    const [email, ip] = [anyEmail(), anyAddress()]
    for (let failure = 1; failure <= 4; failure++) {
      assert.equal(await wrongPassword(email, ip), 0)
    }
    assert.isAbove(await wrongPassword(email, ip), 0)
    assert.isAbove(await exo.loginLimiter.retryAfter(email, ip), 0)
    assert.isAbove(await rightPassword(email, ip), 0)
  })
})
