import { Redis, type RedisOptions } from 'ioredis'

/**
 * Hears of subscription changes announced on Redis, on a connection of its
 * own, opened when first asked. `generation()` moves with every change heard
 * of, and is null while changes could go unheard: before the channel is
 * subscribed to, and from a lost connection until it is subscribed to again.
 */
export class SubscriptionChangeListener {
  #redis?: Redis
  #listening = false
  #generation = 0

  /** `channel`: the app's, where subscription changes are announced */
  constructor(
    private connection: RedisOptions,
    private channel: string
  ) {}

  generation(): number | null {
    this.#redis ??= this.#listen()
    return this.#listening ? this.#generation : null
  }

  /**
   * A change this process made: its own matching sees it at once, before
   * the announcement comes back over Redis.
   */
  changedHere() {
    this.#generation++
  }

  #listen() {
    const redis = new Redis({ ...this.connection, autoResubscribe: false, lazyConnect: true })
    redis.on('error', () => {})
    redis.on('message', () => this.#generation++)
    redis.on('close', () => (this.#listening = false))
    redis.on('ready', async () => {
      try {
        await redis.subscribe(this.channel)
        // Whatever was announced while not listening is unknown: start over
        this.#generation++
        this.#listening = true
      } catch {
        // The connection went again; its next 'ready' subscribes
      }
    })
    redis.connect().catch(() => {})
    return redis
  }

  async close() {
    this.#listening = false
    await this.#redis?.quit().catch(() => this.#redis?.disconnect())
  }
}
