import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq'
import type { EventRecord } from '../types.js'

/**
 * Job names are the module specifiers bull-queue's workers import. Package
 * specifiers (not file URLs) keep jobs runnable by workers installed at
 * another path or on another machine.
 */
export const FAN_OUT_JOB = 'adonis-exo/jobs/fan_out'
export const DELIVER_JOB = 'adonis-exo/jobs/deliver'

export interface FanOutPayload {
  eventId: string
  /** The whole event when it was not written to the outbox by the request */
  event?: EventRecord
}

export interface DeliverPayload {
  deliveryId: string
}

export interface QueuedAttempt {
  id: string
  queue: string
  delay: number
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

class EnqueueTimeout extends Error {}

/** The part of the ioredis client this module reads */
interface RedisStatus {
  status: string
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EnqueueTimeout(`Redis did not answer in ${ms}ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * The Redis side of the pipeline: events waiting to be fanned out and
 * attempts waiting to be sent. Producers fail fast when Redis is away so a
 * save never hangs; the outbox and the sweeper make up for it.
 */
export class PipelineQueue {
  #queues = new Map<string, Queue>()
  #clients = new WeakMap<Queue, RedisStatus>()
  /** After a timeout, producers skip Redis for a while instead of waiting again */
  #pausedUntil = 0

  constructor(
    private connection: ConnectionOptions,
    private timeoutMs = 2000
  ) {}

  queue(name: string): Queue {
    let queue = this.#queues.get(name)
    if (!queue) {
      queue = new Queue(name, {
        connection: { ...(this.connection as object), enableOfflineQueue: false },
      })
      queue.on('error', () => {})
      queue.client.then(
        (client) => this.#clients.set(queue!, client as unknown as RedisStatus),
        () => {}
      )
      this.#queues.set(name, queue)
    }
    return queue
  }

  /**
   * Queues events for fan-out, each on the queue of its resource.
   */
  async enqueueEvents(items: { queue: string; payload: FanOutPayload }[]) {
    await this.#addBulk(
      items.map(({ queue, payload }) => ({
        queue,
        name: FAN_OUT_JOB,
        data: payload,
        opts: { ...JOB_OPTIONS, jobId: payload.eventId },
      }))
    )
  }

  /**
   * Queues attempts to be sent once their delay has passed.
   */
  async enqueueAttempts(attempts: QueuedAttempt[]) {
    await this.#addBulk(
      attempts.map((attempt) => ({
        queue: attempt.queue,
        name: DELIVER_JOB,
        data: { deliveryId: attempt.id } satisfies DeliverPayload,
        opts: { ...JOB_OPTIONS, jobId: attempt.id, delay: Math.max(0, attempt.delay) },
      }))
    )
  }

  async #addBulk(jobs: { queue: string; name: string; data: object; opts: JobsOptions }[]) {
    const byQueue = new Map<string, typeof jobs>()
    for (const job of jobs) {
      byQueue.set(job.queue, [...(byQueue.get(job.queue) ?? []), job])
    }
    for (const [queueName, group] of byQueue) {
      const queue = this.queue(queueName)
      try {
        await this.#connected(queue)
        await withTimeout(queue.addBulk(group), this.timeoutMs)
      } catch (error) {
        if (error instanceof EnqueueTimeout) this.#pausedUntil = Date.now() + this.timeoutMs * 5
        throw error
      }
    }
  }

  /**
   * Takes the lock `name` of a queue, shared by every process on its Redis,
   * for `ttlMs`, so periodic work runs in one worker at a time.
   */
  async tryLock(queue: string, name: string, ttlMs: number): Promise<boolean> {
    // BullMQ types its client narrowly; at runtime it is ioredis, whose SET takes NX.
    const client = (await this.queue(queue).client) as unknown as {
      set(...args: (string | number)[]): Promise<string | null>
    }
    const taken = await withTimeout(
      client.set(`exo:lock:${name}:${queue}`, String(process.pid), 'PX', ttlMs, 'NX'),
      this.timeoutMs
    )
    return taken === 'OK'
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
