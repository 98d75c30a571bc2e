import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq'
import { chunks, groupBy } from '../batcher.js'
import type { TraceCarrier } from '../telemetry/trace_context.js'
import type { EventRecord } from '../types.js'

/**
 * Job names are the module specifiers bull-queue's workers import. Package
 * specifiers (not file URLs) keep jobs runnable by workers installed at
 * another path or on another machine.
 */
export const FAN_OUT_JOB = 'adonis-exo/jobs/fan_out'
export const DELIVER_JOB = 'adonis-exo/jobs/deliver'

/** Where the queues' Redis is: host, port, password, or an ioredis client's options */
export type RedisConnection = ConnectionOptions

/**
 * Events to fan out.
 */
export interface FanOutPayload {
  /** The identity of the app that queued the job (app_identity.ts) */
  app?: string
  /** Events in the outbox, by id */
  eventIds?: string[]
  /** The outbox batch holding `eventIds` until they are fanned out */
  batchId?: string
  /** Events whole, so that the fan-out need not read them: it writes those the outbox lacks */
  events?: EventRecord[]
}

export interface QueuedFanOut {
  queue: string
  payload: FanOutPayload
  jobId: string
}

export interface DeliverPayload {
  app?: string
  deliveryIds: string[]
  /** The trace contexts of the attempts' events, by event id (absent from jobs of versions before it) */
  traces?: Record<string, TraceCarrier>
}

/**
 * A job of attempts to send once `delay` has passed; its id is the first
 * attempt's, kept in each attempt's `job_id`.
 */
export interface DeliveryJob {
  id: string
  queue: string
  delay: number
  deliveryIds: string[]
  traces?: DeliverPayload['traces']
}

/** An attempt the sweeper found pending long past its time */
export interface OverdueAttempt {
  id: string
  jobId: string | null
  queue: string
}

/**
 * Jobs retry on infrastructure errors (database or Redis unreachable), apart
 * from the HTTP attempts, which are rows of their own.
 */
const JOB_OPTIONS: JobsOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: true,
  removeOnFail: { age: 7 * 24 * 3600 },
}

/** Jobs per Redis round trip, each given the whole timeout */
const JOBS_PER_ADD = 1000

class EnqueueTimeout extends Error {}

/**
 * The part of the ioredis client this module uses; BullMQ types its client
 * narrowly, but at runtime it is ioredis, whose SET takes NX.
 */
interface RedisClient {
  status: string
  publish(channel: string, message: string): Promise<number>
  set(...args: (string | number)[]): Promise<string | null>
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EnqueueTimeout(`Redis did not answer in ${ms}ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Where an app's jobs and keys live on a Redis that other apps may share.
 */
export interface QueueNamespace {
  /** Prefixes the app's queue names and Redis keys */
  name: string
  /** Carried by every job, checked by the worker that takes it */
  identity: string
}

/**
 * The name on Redis of an app's queue: the namespace, a dot, the queue
 * (`shop.exo-webhooks`), which is what `queue:listen --queue=` takes.
 */
export function namespacedQueue(namespace: string, queue: string) {
  return `${namespace}.${queue}`
}

/**
 * The slow lane of a queue (`exo-webhooks.slow`): where the attempts of slow
 * receivers wait for workers of their own (see src/delivery/slow_lane.ts).
 */
export function slowLaneOf(queue: string) {
  return `${queue}.slow`
}

/** Whether a queue, as Redis names it, is a slow lane */
export function isSlowLane(redisName: string) {
  return redisName.endsWith('.slow')
}

/**
 * The Redis side of the pipeline: events waiting to be fanned out and
 * attempts waiting to be sent. Producers fail fast when Redis is away so a
 * save never hangs; the outbox and the sweeper make up for it. Queues are
 * named here as the app configures them and live on Redis under its
 * namespace.
 */
export class PipelineQueue {
  #queues = new Map<string, Queue>()
  #clients = new WeakMap<Queue, RedisClient>()
  /** After a timeout, producers skip Redis for a while instead of waiting again */
  #pausedUntil = 0

  constructor(
    private connection: ConnectionOptions,
    private namespace: QueueNamespace,
    private timeoutMs = 2000
  ) {}

  /** The app's Redis channel for announcing subscription changes */
  get changesChannel() {
    return `exo:${this.namespace.name}:subscriptions:changed`
  }

  queue(name: string): Queue {
    let queue = this.#queues.get(name)
    if (!queue) {
      queue = new Queue(this.redisName(name), {
        connection: { ...(this.connection as object), enableOfflineQueue: false },
      })
      queue.on('error', () => {})
      queue.client.then(
        (client) => this.#clients.set(queue!, client as unknown as RedisClient),
        () => {}
      )
      this.#queues.set(name, queue)
    }
    return queue
  }

  /** A queue as Redis names it, under the app's namespace */
  redisName(queue: string) {
    return namespacedQueue(this.namespace.name, queue)
  }

  /**
   * Whether any worker, of any process, listens on the queue.
   */
  async hasWorkers(queue: string) {
    return (await this.queue(queue).getWorkersCount()) > 0
  }

  /**
   * Queues events for fan-out, each job on the queue of its resource.
   */
  async enqueueFanOut(items: QueuedFanOut[], options: JobsOptions = {}) {
    await this.#addBulk(
      items.map(({ queue, payload, jobId }) => ({
        queue,
        name: FAN_OUT_JOB,
        data: { ...payload, app: this.namespace.identity } satisfies FanOutPayload,
        opts: { ...JOB_OPTIONS, ...options, jobId },
      }))
    )
  }

  /**
   * Queues jobs of attempts to be sent once their delay has passed.
   */
  async enqueueDeliveries(jobs: DeliveryJob[]) {
    await this.#addBulk(
      jobs.map((job) => ({
        queue: job.queue,
        name: DELIVER_JOB,
        data: {
          app: this.namespace.identity,
          deliveryIds: job.deliveryIds,
          ...(job.traces ? { traces: job.traces } : {}),
        } satisfies DeliverPayload,
        opts: { ...JOB_OPTIONS, jobId: job.id, delay: Math.max(0, job.delay) },
      }))
    )
  }

  /**
   * Queues again, each in a job of its own, attempts whose job is gone
   * (Redis lost it, or bull-queue completed it without running it) and
   * retries the jobs that failed for good (the database was away through all
   * their retries); attempts whose job still waits or runs are left alone.
   */
  async requeueAttempts(attempts: OverdueAttempt[]) {
    const present = new Map<string, Promise<boolean>>()
    const isPresent = (queue: string, jobId: string) => {
      const key = `${queue} ${jobId}`
      if (!present.has(key)) present.set(key, this.#runnable(queue, jobId))
      return present.get(key)!
    }
    const lost: DeliveryJob[] = []
    for (const attempt of attempts) {
      const jobIds = [...new Set([attempt.jobId ?? attempt.id, attempt.id])]
      const found = await Promise.all(jobIds.map((jobId) => isPresent(attempt.queue, jobId)))
      if (!found.includes(true)) {
        lost.push({ id: attempt.id, queue: attempt.queue, delay: 0, deliveryIds: [attempt.id] })
      }
    }
    await this.enqueueDeliveries(lost)
  }

  /**
   * Whether the job is there to run, on the queue or its slow lane, a failed
   * one once retried.
   */
  async #runnable(queue: string, jobId: string) {
    for (const lane of [queue, slowLaneOf(queue)]) {
      const job = await this.queue(lane).getJob(jobId)
      if (!job) continue
      if (await job.isFailed()) await job.retry()
      return true
    }
    return false
  }

  async #addBulk(jobs: { queue: string; name: string; data: object; opts: JobsOptions }[]) {
    for (const [queueName, group] of groupBy(jobs, (job) => job.queue)) {
      const queue = this.queue(queueName)
      for (const part of chunks(group, JOBS_PER_ADD)) {
        try {
          await this.#connected(queue)
          await withTimeout(this.#add(queue, part), this.timeoutMs)
        } catch (error) {
          if (error instanceof EnqueueTimeout) this.#pausedUntil = Date.now() + this.timeoutMs * 5
          throw error
        }
      }
    }
  }

  /** One job goes without MULTI, which costs BullMQ a third more CPU */
  async #add(queue: Queue, jobs: { name: string; data: object; opts: JobsOptions }[]) {
    if (jobs.length > 1) return void (await queue.addBulk(jobs))
    const [{ name, data, opts }] = jobs
    await queue.add(name, data, opts)
  }

  /**
   * Takes the lock `name` of a queue, shared by every process of the app,
   * for `ttlMs`, so periodic work runs in one worker at a time.
   */
  async tryLock(queue: string, name: string, ttlMs: number): Promise<boolean> {
    const client = await this.#redis(queue)
    const taken = await withTimeout(
      client.set(
        `exo:${this.namespace.name}:lock:${this.namespace.identity}:${name}:${queue}`,
        String(process.pid),
        'PX',
        ttlMs,
        'NX'
      ),
      this.timeoutMs
    )
    return taken === 'OK'
  }

  /**
   * Tells the processes matching subscriptions on the Redis of `queue` that
   * subscriptions changed.
   */
  async announceSubscriptionsChanged(queue: string) {
    const client = await this.#redis(queue)
    await withTimeout(client.publish(this.changesChannel, ''), this.timeoutMs)
  }

  async #redis(queueName: string): Promise<RedisClient> {
    const queue = this.queue(queueName)
    await this.#connected(queue)
    return (await queue.client) as unknown as RedisClient
  }

  /**
   * Fails at once while Redis is away: once connected, by the connection's
   * status; before the first connection, by a pause after a timeout. A save
   * then falls back to the outbox without waiting.
   */
  async #connected(queue: Queue) {
    const client = this.#clients.get(queue)
    if (client) {
      if (client.status !== 'ready') throw new Error(`Redis is ${client.status}`)
      return
    }
    if (Date.now() < this.#pausedUntil) throw new Error('Redis is unreachable')
    await withTimeout(queue.client, this.timeoutMs)
  }

  async close() {
    // Closing while Redis is away must not fail the app's shutdown
    await Promise.allSettled([...this.#queues.values()].map((queue) => queue.close()))
    this.#queues.clear()
  }
}
