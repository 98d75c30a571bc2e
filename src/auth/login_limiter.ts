import { Redis, type RedisOptions } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible'

/** Failed sign-ins per email and IP address within the window before a block */
const ATTEMPTS = 5
const WINDOW_SECONDS = 15 * 60
const BLOCK_SECONDS = 15 * 60

/**
 * Counts failed dashboard sign-ins per email and IP address in the queue's
 * Redis, so every web process shares the count. While Redis is away, each
 * process counts in memory instead of letting sign-ins through unlimited.
 */
export class LoginLimiter {
  #redis: Redis
  #limiter: RateLimiterRedis

  constructor(connection: RedisOptions) {
    this.#redis = new Redis({ ...connection, maxRetriesPerRequest: 1, lazyConnect: true })
    // Without a listener, ioredis reports each failed reconnection as unhandled
    this.#redis.on('error', () => {})
    const options = { keyPrefix: 'exo:login', points: ATTEMPTS, duration: WINDOW_SECONDS }
    this.#limiter = new RateLimiterRedis({
      ...options,
      storeClient: this.#redis,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory(options),
    })
  }

  #key(email: string, ip: string) {
    return `${email.trim().toLowerCase()}|${ip}`
  }

  async #connected() {
    if (this.#redis.status === 'wait') await this.#redis.connect().catch(() => {})
  }

  /**
   * Milliseconds until this email may try again from this address; 0 when
   * it may try now.
   */
  async retryAfter(email: string, ip: string): Promise<number> {
    await this.#connected()
    const state = await this.#limiter.get(this.#key(email, ip))
    return state && state.remainingPoints === 0 ? state.msBeforeNext : 0
  }

  /**
   * Counts a failed sign-in; returns the milliseconds the email is now
   * blocked for from this address, 0 when it may still try. The last
   * allowed failure starts a block of its own length, whenever the window
   * began.
   */
  async recordFailure(email: string, ip: string): Promise<number> {
    await this.#connected()
    const key = this.#key(email, ip)
    try {
      const state = await this.#limiter.consume(key)
      if (state.remainingPoints > 0) return 0
      const blocked = await this.#limiter.block(key, BLOCK_SECONDS)
      return blocked.msBeforeNext
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return rejection.msBeforeNext
      throw rejection
    }
  }

  /**
   * Forgets the failures once the right password was given.
   */
  async clear(email: string, ip: string) {
    await this.#connected()
    await this.#limiter.delete(this.#key(email, ip))
  }

  async close() {
    this.#redis.disconnect()
  }
}
