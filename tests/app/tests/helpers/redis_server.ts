import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { connect } from 'node:net'
import app from '@adonisjs/core/services/app'
import { eventually } from './eventually.js'
import { freePort } from './free_port.js'

function answers(port: number) {
  return new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => resolve(socket.destroy() === socket))
    socket.once('error', () => resolve(false))
  })
}

/**
 * A redis-server of the test run's own, on a free port, so that tests can stop
 * and restart Redis without touching anybody else's.
 */
export class PrivateRedis {
  /** The one the test run started (bin/test.ts) */
  static current?: PrivateRedis

  #child?: ChildProcess

  constructor(
    readonly port: number,
    private appendOnlyDir?: string
  ) {}

  /**
   * With `appendOnlyDir`, Redis keeps its data in an append-only file there,
   * as a production Redis does, so a restart keeps the queued jobs.
   */
  static async create(options: { appendOnlyDir?: string } = {}) {
    return new PrivateRedis(await freePort(), options.appendOnlyDir)
  }

  #running() {
    return !!this.#child && this.#child.exitCode === null && this.#child.signalCode === null
  }

  async start() {
    // Started twice, the second would fail to bind and the first be left running, untracked
    if (this.#running()) return
    const persistence = this.appendOnlyDir
      ? ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', this.appendOnlyDir]
      : ['--appendonly', 'no']
    this.#child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', ...persistence],
      { stdio: 'ignore' }
    )
    this.#child.unref()
    this.#child.once('error', (error) => {
      throw new Error(
        `Cannot start redis-server (install it: apt-get install redis-server): ${error.message}`
      )
    })
    await eventually(
      () => answers(this.port),
      (answered) => answered,
      { timeout: 5_000, what: `redis-server answering on port ${this.port}` }
    )
  }

  /** SIGKILL stops it as a crash would; SIGTERM as a restart does, writing its files first */
  async stop(signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL') {
    const child = this.#child
    if (!child || !this.#running()) return
    // Referenced again so the process waits for the exit it awaits
    child.ref()
    const exited = once(child, 'exit')
    child.kill(signal)
    await exited
  }
}

/**
 * Starts the run's Redis again and waits until the app's queue producers have
 * reconnected, so the next test's saves go to Redis, not to the outbox.
 */
export async function restartRedis() {
  await PrivateRedis.current!.start()
  const exo = await app.container.make('exo.manager')
  const client = await exo.queue.queue(exo.config.queue).client
  await eventually(
    () => client.status,
    (status) => status === 'ready',
    { timeout: 10_000, what: "The queue's Redis connection" }
  )
}

/**
 * What the workers' sweeper does every 15 s, once the events are 30 s old,
 * as soon as Redis answers again.
 */
export async function sweepOnceRedisAnswers() {
  const exo = await app.container.make('exo.manager')
  const swept = await eventually(
    () => exo.sweeper.sweep(Date.now() + 60_000).catch(() => null),
    (result) => result !== null,
    { what: 'A sweep with Redis back' }
  )
  return swept!
}
