import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import app from '@adonisjs/core/services/app'
import env from '#start/env'

export type Worker = Awaited<ReturnType<typeof startWorker>>

/** The worker the tests run against, replaced when a test kills it */
export const runningWorker: { current?: Worker } = {}

/**
 * The file the worker's start/events.ts listeners append adonis-exo's events to.
 */
export function workerEventsLog() {
  return app.tmpPath(`exo-events-${process.pid}.jsonl`)
}

/**
 * Starts `node ace queue:listen` on the Exo queue in a child process, as a
 * host app runs its workers, and resolves once it listens.
 */
export async function startWorker() {
  const queue = env.get('EXO_QUEUE', 'exo-webhooks')
  const log = createWriteStream(app.tmpPath(`worker-${process.pid}.log`), { flags: 'a' })
  const child = spawn(process.execPath, ['ace.js', 'queue:listen', `--queue=${queue}`], {
    cwd: app.appRoot,
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'info', EXO_EVENTS_LOG: workerEventsLog() },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stderr.pipe(log)

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('The worker did not start in 30s')), 30_000)
    child.stdout.on('data', (chunk: Buffer) => {
      log.write(chunk)
      if (chunk.toString().includes('processing started')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => reject(new Error(`The worker exited with ${code}`)))
  })

  const worker = {
    /** Kills the worker as a crash or an OOM killer would */
    async kill() {
      const exited = once(child, 'exit')
      child.kill('SIGKILL')
      await exited
    },
    /**
     * bull-queue's shutdown closes its queues but not its workers, so a
     * worker that has not exited shortly after SIGTERM is killed.
     */
    async stop() {
      if (child.exitCode === null) {
        const exited = once(child, 'exit')
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
        await exited
        clearTimeout(timer)
      }
      log.end()
    },
  }
  runningWorker.current = worker
  return worker
}
