import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import app from '@adonisjs/core/services/app'
import exo from 'adonis-exo/services/main'
import type { ExoEventsList } from 'adonis-exo'
import type { Group } from '@japa/runner/core'
import env from '#start/env'
import { eventually } from '#tests/helpers/eventually'

export type Worker = Awaited<ReturnType<typeof startWorker>>

/** The worker the tests run against, replaced when a test kills it */
export const runningWorker: { current?: Worker } = {}

const started = new Set<Worker>()

/** Stops every worker the run started and has not stopped */
export async function stopWorkers() {
  await Promise.all([...started].map((worker) => worker.stop()))
}

/**
 * The file the worker's start/events.ts listeners append adonis-exo's events to.
 */
export function workerEventsLog() {
  return app.tmpPath(`exo-events-${process.pid}.jsonl`)
}

/**
 * One line of the workers' events log: an event a worker process emitted,
 * with its pid and the enumerable keys of its `Object.prototype`.
 */
export interface WorkerEvent<Name extends keyof ExoEventsList = keyof ExoEventsList> {
  name: Name
  pid: number
  prototype: string[]
  payload: ExoEventsList[Name]
}

/**
 * Every event the run's workers have emitted so far, oldest first.
 */
export async function workerEvents(): Promise<WorkerEvent[]> {
  const text = await readFile(workerEventsLog(), 'utf8').catch(() => '')
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
}

/**
 * The `name` events the workers emitted whose payload `match` takes, once
 * there are `count`: what a worker did, told by the worker.
 */
export async function workerEmitted<Name extends keyof ExoEventsList>(
  name: Name,
  match: (payload: ExoEventsList[Name]) => boolean,
  count = 1
): Promise<WorkerEvent<Name>[]> {
  return eventually(
    async () => {
      const events = await workerEvents()
      return events.filter(
        (event): event is WorkerEvent<Name> =>
          event.name === name && match(event.payload as ExoEventsList[Name])
      )
    },
    (events) => events.length >= count,
    { what: `${count} ${name} from the workers` }
  )
}

/**
 * The Redis of the app's queues, for BullMQ's own clients: bull-queue's
 * connection (AdonisJS 6), else the QUEUE_REDIS_* config/exo.ts names
 */
export function queueConnection() {
  return app.config.get<{ host: string; port: number; password?: string }>(
    'queue.defaultConnection',
    {
      host: env.get('QUEUE_REDIS_HOST'),
      port: env.get('QUEUE_REDIS_PORT'),
      password: env.get('QUEUE_REDIS_PASSWORD'),
    }
  )
}

/**
 * The name Redis (and `queue:listen`) knows a queue of the app by: under
 * the app's namespace.
 */
export function redisQueue(queue: string) {
  return `${exo.config.namespace}.${queue}`
}

/**
 * Whether the app has bull-queue (AdonisJS 6) and so its `queue:listen`;
 * on AdonisJS 7 (tests/v7/suite) the workers are `exo:work`'s.
 */
export function hasBullQueue() {
  return app.container.hasBinding('rlanz/queue')
}

/**
 * Starts `node ace queue:listen` (`node ace exo:work` without bull-queue) in
 * a child process, as a host app runs its workers, and resolves once it
 * listens. By default it takes the Exo queues (the configured one and the
 * notes' own) with the run's environment; `queues` are named as
 * config/exo.ts and the models name them. Given the `root` of another app,
 * it runs that app's worker on `redisQueues`.
 */
export async function startWorker(
  options: {
    queues?: string[]
    env?: Record<string, string>
    root?: URL
    redisQueues?: string[]
    /** `exo:work` (on the app's queues), rather than bull-queue's `queue:listen` (where it has it) */
    exoWork?: boolean
  } = {}
) {
  const queues = options.redisQueues ?? options.queues?.map(redisQueue) ?? (await exo.queueNames())
  const root = options.root ?? app.appRoot
  const log = createWriteStream(new URL(`tmp/worker-${process.pid}.log`, root), { flags: 'a' })
  const command =
    (options.exoWork ?? !hasBullQueue())
      ? ['exo:work', ...(options.queues ?? []).map((name) => `--queue=${name}`)]
      : ['queue:listen', ...queues.map((name) => `--queue=${name}`)]
  const child = spawn(process.execPath, ['ace.js', ...command], {
    cwd: fileURLToPath(root),
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      EXO_EVENTS_LOG: workerEventsLog(),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stderr.pipe(log)

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('The worker did not start in 30s')), 30_000)
    child.stdout.on('data', (chunk: Buffer) => {
      log.write(chunk)
      if (/processing started|Exo workers listening/.test(chunk.toString())) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => reject(new Error(`The worker exited with ${code}`)))
  })

  const worker = {
    /** Resolves once the worker writes a line matching `pattern` to its output */
    printed(pattern: RegExp) {
      return new Promise<void>((resolve) => {
        const listener = (chunk: Buffer) => {
          if (!pattern.test(chunk.toString())) return
          child.stdout.off('data', listener)
          resolve()
        }
        child.stdout.on('data', listener)
      })
    },
    /** Sends SIGTERM, as a process manager does, without waiting */
    terminate() {
      child.kill('SIGTERM')
    },
    /** Kills the worker as a crash or an OOM killer would */
    async kill() {
      started.delete(worker)
      if (child.exitCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGKILL')
      await exited
    },
    /**
     * Stops the worker as a process manager does: SIGTERM, then SIGKILL if
     * it has not exited within 10 s, the most the contract gives a worker.
     * Tells whether it had to be killed.
     */
    async stop() {
      started.delete(worker)
      let killed = false
      if (child.exitCode === null) {
        const exited = once(child, 'exit')
        child.kill('SIGTERM')
        const timer = setTimeout(() => {
          killed = true
          child.kill('SIGKILL')
        }, 10_000)
        await exited
        clearTimeout(timer)
      }
      log.end()
      return { killed }
    },
  }
  if (!options.root) runningWorker.current = worker
  started.add(worker)
  return worker
}

/**
 * Runs the group's tests against a worker of their own, started with the
 * environment `variables` (or what they give once the group starts) in place
 * of the run's usual worker, which is back afterwards.
 */
export function ownWorker(
  group: Group,
  variables: Record<string, string> | (() => Record<string, string>)
) {
  group.setup(async () => {
    await runningWorker.current!.stop()
    const worker = await startWorker({
      env: typeof variables === 'function' ? variables() : variables,
    })
    return async () => {
      await worker.stop()
      await startWorker()
    }
  })
}
