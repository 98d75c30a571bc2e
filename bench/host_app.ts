import 'reflect-metadata'
import { setTimeout as sleep } from 'node:timers/promises'
import { Queue } from 'bullmq'
import type { ApplicationService } from '@adonisjs/core/types'
import type { Database } from '@adonisjs/lucid/database'
import type { CpuMeter } from './cpu.js'
import { EXO_REDIS_QUEUE, RAW_QUEUE, type Receiver, type Settings } from './processes.js'

/**
 * What the scenarios work with: the host app booted in this process (as its
 * web process would be), its models, the receiver, and handles on both
 * sides' queues to pause, resume and watch them.
 */
export interface BenchContext {
  app: ApplicationService
  db: Database
  settings: Settings
  env: Record<string, string>
  receiver: Receiver
  models: Awaited<ReturnType<typeof loadModels>>
  exoQueue: Queue
  rawQueue: Queue
  cpu: CpuMeter
}

/**
 * Boots tests/app in this process, with `env` as its environment.
 */
export async function bootHostApp(env: Record<string, string>) {
  Object.assign(process.env, env)
  const { createIgnitor } = await import('../tests/app/bin/ignitor.js')
  const app = createIgnitor().createApp('web')
  await app.init()
  await app.boot()
  await app.start(() => {})
  return app
}

export async function loadModels() {
  const [{ default: Order }, { default: Note }, { default: User }, { withoutExo }] =
    await Promise.all([
      import('../tests/app/app/models/order.js'),
      import('../tests/app/app/models/note.js'),
      import('../tests/app/app/models/user.js'),
      import('./plain_order.js'),
    ])
  const { WebhookSubscription } = await import('adonis-exo')
  return { Order, PlainOrder: withoutExo(Order), Note, User, WebhookSubscription }
}

export function queues(redisPort: number) {
  const connection = { host: '127.0.0.1', port: redisPort }
  return {
    exoQueue: new Queue(EXO_REDIS_QUEUE, { connection }),
    rawQueue: new Queue(RAW_QUEUE, { connection }),
  }
}

/**
 * Polls `check` every `intervalMs` until it holds; fails after `timeoutMs`.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean> | boolean,
  { intervalMs = 10, timeoutMs = 300_000 } = {}
) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not done after ${timeoutMs / 1000}s`)
    await sleep(intervalMs)
  }
}

/**
 * Waits until a queue has no job left to run.
 */
export async function drained(queue: Queue) {
  await waitUntil(
    `Draining ${queue.name}`,
    async () => {
      const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'paused')
      return Object.values(counts).every((count) => count === 0)
    },
    { intervalMs: 50 }
  )
}

/**
 * Runs `task` `count` times, at most `concurrency` at once.
 */
export async function pool(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<unknown>
) {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(count, concurrency) }, async () => {
      while (next < count) await task(next++)
    })
  )
}
