import { setTimeout as sleep } from 'node:timers/promises'
import { debuglog } from 'node:util'
import type { Database } from '@adonisjs/lucid/database'
import { Redis, type RedisOptions } from 'ioredis'
import type { PipelineQueue } from '../queue/pipeline_queue.js'
import type { AttemptLog, StartedAttempt } from './attempt_log.js'
import type { PlanFor } from './delivery_plan.js'
import { carryingTraces } from '../telemetry/trace_context.js'

const debug = debuglog('adonis-exo')

/**
 * GCRA (the generic cell rate algorithm) without a burst, on Redis's clock,
 * in microseconds: a request may leave once `next` has come, and the next
 * one `spacing` later, so that no second, however it is cut, holds more
 * than the rate. A request that must wait is given a turn at the end of
 * the `line` and keeps it (a field named after its attempt) when it asks
 * again, so that those waiting go one by one, in order; one that missed its
 * turn by over a second (its worker was away) queues again. Answers 0 when
 * the request may leave now (and counts it), else the milliseconds to wait.
 */
const GCRA_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local spacing = tonumber(ARGV[1])
local state = redis.call('HMGET', KEYS[1], 'next', 'line', ARGV[2])
local nextFree = tonumber(state[1]) or 0
local line = math.max(tonumber(state[2]) or 0, nextFree, now)
local turn = tonumber(state[3])
local patience = math.max(spacing, 1000000)
if not turn or turn + patience < now then
  turn = line
  line = line + spacing
  redis.call('HSET', KEYS[1], 'line', string.format('%.0f', line))
end
local wait = math.max(turn, nextFree) - now
if wait <= 0 then
  redis.call('HSET', KEYS[1], 'next', string.format('%.0f', now + spacing))
  redis.call('HDEL', KEYS[1], ARGV[2])
else
  redis.call('HSET', KEYS[1], ARGV[2], string.format('%.0f', turn))
end
redis.call('PEXPIRE', KEYS[1], math.ceil((line - now + patience) / 1000))
return math.max(0, math.ceil(wait / 1000))
`

/** How long an attempt waits when Redis cannot tell whether it may leave */
const REDIS_AWAY_WAIT_MS = 1000

/**
 * Waits up to this long are waited out by the worker, asking again, rather
 * than by a job put back: a job's round trip would make the turn late.
 */
const WAITED_IN_PLACE_MS = 250

type GcraClient = Redis & {
  exoRateLimit(key: string, spacingUs: number, attemptId: string): Promise<number>
}

/**
 * Keeps each subscription's `rate_limit` across every worker of the app, on
 * the queues' Redis: an attempt over it is not sent but put back, pending
 * and not begun, in a job of its own due when its turn comes, its attempt
 * number, the failure count and the log untouched. While Redis cannot
 * answer, attempts wait rather than go unlimited. Connected on first use,
 * so processes that deliver nothing never open it.
 */
export class RateLimiter {
  #redis: GcraClient
  #connected?: Promise<void>

  /**
   * Every key starts with `keyPrefix` (`exo:<namespace>:rate`), so apps
   * sharing a Redis never share a limit.
   */
  constructor(
    connection: RedisOptions,
    private keyPrefix: string,
    private db: Database,
    private attempts: AttemptLog,
    private queue: PipelineQueue,
    private planFor: PlanFor
  ) {
    this.#redis = new Redis({
      ...connection,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    }) as GcraClient
    this.#redis.on('error', () => {})
    this.#redis.defineCommand('exoRateLimit', { numberOfKeys: 1, lua: GCRA_SCRIPT })
  }

  /**
   * Milliseconds until the attempt's request may leave at `perSecond`; 0
   * lets it leave now. The rate is in the key, so that a changed limit
   * starts afresh instead of keeping the old one's line.
   */
  async #turn({ delivery, subscription }: StartedAttempt, perSecond: number) {
    this.#connected ??= this.#redis.connect().catch(() => {})
    await this.#connected
    try {
      const key = `${this.keyPrefix}:${subscription.id}:${perSecond}`
      const spacing = Math.ceil(1_000_000 / perSecond)
      return Number(await this.#redis.exoRateLimit(key, spacing, delivery.id))
    } catch (error) {
      debug('rate limit of subscription %d unknown, its attempt waits: %s', subscription.id, error)
      return REDIS_AWAY_WAIT_MS
    }
  }

  /**
   * Whether the attempt is held back by its subscription's rate limit, and
   * so put back to wait for its turn instead of being sent now.
   */
  async holdsBack(started: StartedAttempt): Promise<boolean> {
    const perSecond = started.subscription.rateLimit
    if (perSecond === null || perSecond === undefined) return false
    let wait = await this.#turn(started, Number(perSecond))
    while (wait > 0 && wait <= WAITED_IN_PLACE_MS) {
      await sleep(wait)
      wait = await this.#turn(started, Number(perSecond))
    }
    if (wait === 0) return false
    const { queue } = await this.planFor(started.event.resource)
    const job = await this.attempts.putBack(started.delivery, queue, wait, this.db.connection())
    if (job) await this.queue.enqueueDeliveries([carryingTraces(job, [started.event])])
    return true
  }

  async close() {
    this.#redis.disconnect()
  }
}
