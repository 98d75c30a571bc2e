import { Redis, type RedisOptions } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible'

/**
 * The failed sign-ins allowed within 15 minutes, each limit counting under a
 * key of its own; a limit reached blocks its key for 15 minutes.
 * - `account`: one email from any address. Rotating addresses, or sending a
 *   made-up X-Forwarded-For, gains an attacker nothing (OWASP's lockout).
 * - `accountFromAddress`: one email from one address, stricter, so a guesser
 *   is stopped before the account is locked for everybody.
 * - `address`: any email from one address, against credential stuffing.
 */
const LIMITS = {
  account: { points: 10 },
  accountFromAddress: { points: 5 },
  address: { points: 50 },
}

const WINDOW_SECONDS = 15 * 60
const BLOCK_SECONDS = 15 * 60

type LimitName = keyof typeof LIMITS

/** One limit and the key a sign-in counts under */
type Count = { limiter: RateLimiterRedis; key: string }

/** A sign-in refused: the seconds until the email may try again from this address */
export interface LoginThrottle {
  retryAfter: number
}

/** The throttle for the limit that refuses the longest among `states` */
function throttle(states: RateLimiterRes[]): LoginThrottle {
  const longest = Math.max(...states.map((state) => state.msBeforeNext))
  return { retryAfter: Math.max(1, Math.ceil(longest / 1000)) }
}

/**
 * Counts dashboard sign-ins in the queue's Redis, so every web process shares
 * the count, with `rate-limiter-flexible` (what `@adonisjs/limiter` is built
 * on, without its ties to one AdonisJS major). While Redis is away, each
 * process counts in memory instead of letting sign-ins through unlimited.
 */
export class LoginLimiter {
  #redis: Redis
  #connected?: Promise<void>
  #limits: Record<LimitName, RateLimiterRedis>

  /**
   * Every key starts with `keyPrefix` (`exo:<namespace>:login`), so apps
   * sharing a Redis never share a count.
   */
  constructor(connection: RedisOptions, keyPrefix: string) {
    // Connected on first use, so processes that never sign anybody in never open it
    this.#redis = new Redis({ ...connection, maxRetriesPerRequest: 1, lazyConnect: true })
    this.#redis.on('error', () => {})
    const limit = (name: LimitName) => {
      const options = {
        points: LIMITS[name].points,
        duration: WINDOW_SECONDS,
        keyPrefix: `${keyPrefix}:${name}`,
      }
      return new RateLimiterRedis({
        ...options,
        storeClient: this.#redis,
        // Not ready, Redis fails the call at once, and the memory counts it
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(options),
      })
    }
    this.#limits = {
      account: limit('account'),
      accountFromAddress: limit('accountFromAddress'),
      address: limit('address'),
    }
  }

  #counts(email: string, ip: string): Record<LimitName, Count> {
    const account = email.trim().toLowerCase()
    return {
      account: { limiter: this.#limits.account, key: account },
      accountFromAddress: { limiter: this.#limits.accountFromAddress, key: `${account}|${ip}` },
      address: { limiter: this.#limits.address, key: ip },
    }
  }

  async #counted<T>(action: () => Promise<T>): Promise<T> {
    // Once for all: the calls made meanwhile wait for it instead of finding Redis not ready
    this.#connected ??= this.#redis.connect().catch(() => {})
    await this.#connected
    return action()
  }

  /** The limits among `counts` that have no try left */
  async #usedUp(counts: Count[]): Promise<RateLimiterRes[]> {
    const states = await Promise.all(
      counts.map(({ limiter, key }) => this.#counted(() => limiter.get(key)))
    )
    return states.filter((state): state is RateLimiterRes => state?.remainingPoints === 0)
  }

  /**
   * Seconds until this email may try again from this address; 0 when it may
   * try now.
   */
  async retryAfter(email: string, ip: string): Promise<number> {
    const usedUp = await this.#usedUp(Object.values(this.#counts(email, ip)))
    return usedUp.length > 0 ? throttle(usedUp).retryAfter : 0
  }

  /**
   * Checks a sign-in under the limits: `verify` resolves to the user, or to
   * null when the password is wrong. Returns the throttle when a limit
   * refuses the try or the failure uses a limit up (the key is then
   * blocked), `[null, null]` for a wrong password that may try again,
   * `[null, user]` for the right one. An error from `verify` propagates, its
   * try counted.
   */
  async penalize<User>(
    email: string,
    ip: string,
    verify: () => Promise<User | null>
  ): Promise<[LoginThrottle, null] | [null, User | null]> {
    const counts = this.#counts(email, ip)
    const all = Object.values(counts)

    // A try while blocked is refused uncounted: the block does not grow while it is waited out
    const blocked = await this.#usedUp(all)
    if (blocked.length > 0) return [throttle(blocked), null]

    // Counted before the password is checked: concurrent guesses each take a try of their own
    const tries = await Promise.all(
      all.map(({ limiter, key }) => this.#counted(() => limiter.penalty(key)))
    )
    const over = tries.filter((state, index) => state.consumedPoints > all[index].limiter.points)
    if (over.length > 0) return [throttle(over), null]

    const user = await verify()
    if (user === null) {
      const usedUp = all.filter(
        ({ limiter }, index) => tries[index].consumedPoints >= limiter.points
      )
      if (usedUp.length === 0) return [null, null]
      const blocks = await Promise.all(
        usedUp.map(({ limiter, key }) => this.#counted(() => limiter.block(key, BLOCK_SECONDS)))
      )
      return [throttle(blocks), null]
    }

    // The right password forgets the account's failures. The address only gets this
    // try back: signing into one's own account resets nobody else's count
    await Promise.all([
      this.#counted(() => counts.account.limiter.delete(counts.account.key)),
      this.#counted(() => counts.accountFromAddress.limiter.delete(counts.accountFromAddress.key)),
      this.#counted(() => counts.address.limiter.reward(counts.address.key)),
    ])
    return [null, user]
  }

  async close() {
    this.#redis.disconnect()
  }
}
