import type { TestContext } from '@japa/runner/core'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'

type Cleanup = TestContext['cleanup']

/** The Redis of the test environment, as the host app's .env.test names it */
export const redisConnection = {
  host: process.env.QUEUE_REDIS_HOST ?? '127.0.0.1',
  port: Number(process.env.QUEUE_REDIS_PORT ?? 6379),
}

let names = 0

/**
 * A plain Redis client, for what BullMQ does not show (keys, channels),
 * disconnected when the test ends.
 */
export function redisClient(cleanup: Cleanup) {
  const client = new Redis(redisConnection)
  cleanup(async () => void (await client.quit()))
  return client
}

/**
 * A name for the queues and keys of one test that no other test or run
 * shares (Redis may be serving a CI run meanwhile); whatever lives under it
 * (BullMQ's `bull:<name>…`, Exo's `exo:<name>…`) is deleted when the test ends.
 */
export function uniqueName(label: string, cleanup: Cleanup) {
  const name = `exo-unit-${process.pid}-${++names}-${label}`
  const client = redisClient(cleanup)
  cleanup(async () => {
    for (const pattern of [`bull:${name}*`, `exo:${name}*`]) {
      for await (const keys of client.scanStream({ match: pattern, count: 1000 })) {
        if (keys.length) await client.del(...keys)
      }
    }
  })
  return name
}

/**
 * A BullMQ queue to look into from outside the code under test, closed when
 * the test ends.
 */
export function inspectedQueue(name: string, cleanup: Cleanup) {
  const queue = new Queue(name, { connection: redisConnection })
  cleanup(() => queue.close())
  return queue
}
