import type { RedisOptions } from 'ioredis'
import { RedisConnection } from '@adonisjs/redis'
import { Limiter, errors, type LimiterResponse } from '@adonisjs/limiter'
import LimiterRedisStore from '@adonisjs/limiter/stores/redis'
import LimiterMemoryStore from '@adonisjs/limiter/stores/memory'

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
  account: { requests: 10, duration: '15 mins', blockDuration: '15 mins' },
  accountFromAddress: { requests: 5, duration: '15 mins', blockDuration: '15 mins' },
  address: { requests: 50, duration: '15 mins', blockDuration: '15 mins' },
}

type LimitName = keyof typeof LIMITS

/** A limit counted in Redis, shared by every web process, and in memory while Redis is away */
type Limit = { redis: Limiter; memory: Limiter }

/** One limit and the key a sign-in counts under */
type Count = { limit: Limit; key: string }

/** The throttle for the limit that refuses the longest among `states` */
function throttle(states: LimiterResponse[]) {
  const longest = states.reduce((one, other) => (other.availableIn > one.availableIn ? other : one))
  return new errors.E_TOO_MANY_REQUESTS(longest)
}

/**
 * Counts dashboard sign-ins in the queue's Redis, so every web process shares
 * the count, with `@adonisjs/limiter`. While Redis is away, each process
 * counts in memory instead of letting sign-ins through unlimited.
 */
export class LoginLimiter {
  #redis: RedisConnection
  #connected?: Promise<void>
  #limits: Record<LimitName, Limit>

  /**
   * Every key starts with `keyPrefix` (`exo:<namespace>:login`), so apps
   * sharing a Redis never share a count.
   */
  constructor(connection: RedisOptions, keyPrefix: string) {
    // Connected on first use, so processes that never sign anybody in never open it
    this.#redis = new RedisConnection('exo_login', {
      ...connection,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    })
    const limit = (name: LimitName): Limit => {
      const config = { ...LIMITS[name], keyPrefix: `${keyPrefix}:${name}` }
      return {
        // Not ready, Redis fails the call at once, and the memory counts it
        redis: new Limiter(
          new LimiterRedisStore(this.#redis, { ...config, rejectIfRedisNotReady: true })
        ),
        memory: new Limiter(new LimiterMemoryStore(config)),
      }
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
      account: { limit: this.#limits.account, key: account },
      accountFromAddress: { limit: this.#limits.accountFromAddress, key: `${account}|${ip}` },
      address: { limit: this.#limits.address, key: ip },
    }
  }

  async #counted<T>({ limit }: Count, action: (limiter: Limiter) => Promise<T>): Promise<T> {
    // Once for all: the calls made meanwhile wait for it instead of finding Redis not ready
    this.#connected ??= this.#redis.ioConnection.connect().catch(() => {})
    await this.#connected
    try {
      return await action(limit.redis)
    } catch {
      return action(limit.memory)
    }
  }

  /** The limits among `counts` that have no try left */
  async #usedUp(counts: Count[]): Promise<LimiterResponse[]> {
    const states = await Promise.all(
      counts.map((count) => this.#counted(count, (limiter) => limiter.get(count.key)))
    )
    return states.filter((state) => state !== null && state.remaining === 0) as LimiterResponse[]
  }

  /**
   * Seconds until this email may try again from this address; 0 when it may
   * try now.
   */
  async retryAfter(email: string, ip: string): Promise<number> {
    const usedUp = await this.#usedUp(Object.values(this.#counts(email, ip)))
    return usedUp.length > 0 ? throttle(usedUp).response.availableIn : 0
  }

  /**
   * Checks a sign-in under the limits, as `Limiter.penalize` does for one:
   * `verify` resolves to the user, or to null when the password is wrong.
   * Returns the throttle when a limit refuses the try or the failure uses a
   * limit up (the key is then blocked), `[null, null]` for a wrong password
   * that may try again, `[null, user]` for the right one. An error from
   * `verify` propagates, its try counted.
   */
  async penalize<User>(
    email: string,
    ip: string,
    verify: () => Promise<User | null>
  ): Promise<[errors.ThrottleException, null] | [null, User | null]> {
    const counts = this.#counts(email, ip)
    const all = Object.values(counts)

    // A try while blocked is refused uncounted: the block does not grow while it is waited out
    const blocked = await this.#usedUp(all)
    if (blocked.length > 0) return [throttle(blocked), null]

    // Counted before the password is checked: concurrent guesses each take a try of their own
    const tries = await Promise.all(
      all.map((count) => this.#counted(count, (limiter) => limiter.increment(count.key)))
    )
    const over = tries.filter((state) => state.consumed > state.limit)
    if (over.length > 0) return [throttle(over), null]

    const user = await verify()
    if (user === null) {
      const usedUp = all.filter((_count, index) => tries[index].consumed >= tries[index].limit)
      if (usedUp.length === 0) return [null, null]
      const blocks = await Promise.all(
        usedUp.map((count) =>
          this.#counted(count, (limiter) => limiter.block(count.key, limiter.blockDuration))
        )
      )
      return [throttle(blocks), null]
    }

    // The right password forgets the account's failures. The address only gets this
    // try back: signing into one's own account resets nobody else's count
    await Promise.all([
      this.#counted(counts.account, (limiter) => limiter.delete(counts.account.key)),
      this.#counted(counts.accountFromAddress, (limiter) =>
        limiter.delete(counts.accountFromAddress.key)
      ),
      this.#counted(counts.address, (limiter) => limiter.decrement(counts.address.key)),
    ])
    return [null, user]
  }

  async close() {
    await this.#redis.disconnect()
  }
}
