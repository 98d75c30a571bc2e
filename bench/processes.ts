/**
 * The processes of a benchmark run besides its own: a private redis-server,
 * the receiver, the delivery workers of both sides and, for the API figure,
 * the host app's web server. Each is started as a user would start it and
 * stopped when the run ends, whatever way it ends.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdirSync, openSync } from 'node:fs'
import { copyFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { Queue } from 'bullmq'
import { PrivateRedis } from '../tests/app/tests/helpers/redis_server.js'
import { namespaceOf } from '../src/define_config.js'

/**
 * The host app the benchmark runs: the one the test suite runs (AdonisJS 6), or
 * its AdonisJS 7 copy when scripts/bench_v7.sh runs a copy of bench/ beside it
 */
const APP_URL = new URL('../tests/app/', import.meta.url)
export const APP_ROOT = fileURLToPath(APP_URL)
/** Where it is compiled to, as `node ace build` would, for its workers and web server */
const BUILD_ROOT = fileURLToPath(new URL('build/', APP_URL))
/**
 * How the receiver and the raw workers run TypeScript: as this process does
 * (ts-node-maintained on AdonisJS 6, @poppinss/ts-exec on AdonisJS 7)
 */
const TS_LOADER = process.execArgv.filter((arg) => /^--(import|disable-warning)=/.test(arg))
/**
 * Whether the host app delivers with bull-queue (`node ace queue:listen`), as
 * tests/app does on AdonisJS 6, or with Exo's own workers (`node ace
 * exo:work`), as its AdonisJS 7 copy does, bull-queue taken out
 */
const BULL_QUEUE = existsSync(new URL('config/queue.ts', APP_URL))

/** The version of @adonisjs/core the host app has installed */
export function adonisVersion(): string {
  return createRequire(new URL('package.json', APP_URL))('@adonisjs/core/package.json').version
}

/**
 * With BENCH_PROFILE=1 the workers and the API server write a V8 CPU
 * profile to bench/tmp/profiles/ (see bench/profile_summary.ts). A profile
 * is written on exit, so they exit shortly after SIGTERM instead of waiting
 * for the SIGKILL.
 */
const PROFILING =
  process.env.BENCH_PROFILE === '1'
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${fileURLToPath(new URL('tmp/profiles/', import.meta.url))}`,
        '--import=data:text/javascript,process.once("SIGTERM",()=>setTimeout(()=>process.exit(0),1000))',
      ]
    : []

export const EXO_QUEUE = 'exo-webhooks'
/** The Exo queue as Redis and `queue:listen` name it: under the host app's namespace */
export const EXO_REDIS_QUEUE = `${await namespaceOf(APP_URL)}.${EXO_QUEUE}`
export const RAW_QUEUE = 'raw-webhooks'

export type ReceiverCommand =
  | { type: 'expect'; count: number }
  | { type: 'hold' }
  | { type: 'release' }
  | { type: 'receipts' }
  | { type: 'hanging' }

export type ReceiverReply =
  | { type: 'listening'; port: number; hangingPort: number }
  | { type: 'done' }
  | { type: 'reached'; at: number }
  | { type: 'receipts'; ids: number[]; times: number[] }
  | { type: 'hanging'; open: number }

const LOGS = new URL('tmp/', import.meta.url)

/**
 * Where a child's output goes: bench/tmp/<name>.log, so that a worker's
 * error does not drown the table.
 */
function logTo(name: string): ['ignore', number, number] {
  mkdirSync(LOGS, { recursive: true })
  const file = openSync(new URL(`${name.replaceAll(' ', '-')}.log`, LOGS), 'w')
  return ['ignore', file, file]
}

const children = new Set<ChildProcess>()
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')))

function track(child: ChildProcess, name: string) {
  children.add(child)
  child.once('exit', (code, signal) => {
    children.delete(child)
    if (!stopping.has(child)) {
      console.error(
        `The ${name} exited early (${signal ?? code}); the benchmark stops. See bench/tmp/.`
      )
      process.exit(1)
    }
  })
  return child
}

const stopping = new WeakSet<ChildProcess>()

/**
 * Stops a child: SIGTERM, then SIGKILL if it has not exited shortly after
 * (bull-queue's shutdown closes its queues but not its workers).
 */
export async function stop(child: ChildProcess) {
  stopping.add(child)
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
  await exited
  clearTimeout(timer)
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen in ${timeoutMs / 1000}s`)
    await sleep(100)
  }
}

export interface Settings {
  workers: number
  concurrency: number
  /** First of the ports the run may bind; 0 lets the system pick free ones */
  basePort: number
}

/**
 * The environment of the host app's processes (this one, workers, server):
 * production mode, the benchmark's database and Redis, and the logs a
 * production app keeps (warnings and errors: bull-queue logs two info lines
 * per job, which the raw baseline does not pay for either).
 */
export function appEnvironment(settings: Settings, redisPort: number): Record<string, string> {
  const env = process.env
  return {
    NODE_ENV: 'production',
    TZ: 'UTC',
    HOST: '127.0.0.1',
    PORT: String(settings.basePort ? settings.basePort + 1 : 0),
    APP_KEY: 'benchmark-app-key-of-the-exo-host-app',
    LOG_LEVEL: 'warn',
    SESSION_DRIVER: 'memory',
    DB_CONNECTION: 'pg',
    DB_HOST: env.DB_HOST ?? '127.0.0.1',
    DB_PORT: env.DB_PORT ?? '5432',
    DB_USER: env.DB_USER ?? 'postgres',
    DB_PASSWORD: env.DB_PASSWORD ?? 'postgres',
    DB_DATABASE: env.BENCH_DB_DATABASE ?? 'exo_bench',
    QUEUE_REDIS_HOST: '127.0.0.1',
    QUEUE_REDIS_PORT: String(redisPort),
    // What `node ace configure adonis-exo` adds to start/env.ts without bull-queue (AdonisJS 7)
    EXO_REDIS_HOST: '127.0.0.1',
    EXO_REDIS_PORT: String(redisPort),
    QUEUE_CONCURRENCY: String(settings.concurrency),
    QUEUE_LOCK_DURATION: '30000',
    QUEUE_STALLED_INTERVAL: '30000',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: '2525',
    EXO_QUEUE,
    EXO_DELIVERY_TIMEOUT: '30s',
    EXO_ALLOW_PRIVATE_NETWORKS: 'true',
  }
}

/**
 * Creates the benchmark's PostgreSQL database when the server lacks it.
 */
export async function createDatabase(env: Record<string, string>) {
  const { default: pg } = await import('pg')
  const client = new pg.Client({
    host: env.DB_HOST,
    port: Number(env.DB_PORT),
    user: env.DB_USER,
    password: env.DB_PASSWORD,
    database: 'postgres',
  })
  await client.connect()
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [
      env.DB_DATABASE,
    ])
    if (!rowCount) await client.query(`create database "${env.DB_DATABASE.replaceAll('"', '')}"`)
  } finally {
    await client.end()
  }
}

export async function startRedis() {
  const redis = await PrivateRedis.create()
  await redis.start()
  return redis
}

/**
 * Compiles the host app to JavaScript in tests/app/build, so that its
 * workers and web server run as they do in production: without a
 * TypeScript loader, which in development resolves every `import()`
 * (bull-queue imports each job's module per job) in a thread of its own.
 */
export async function compileHostApp() {
  await rm(BUILD_ROOT, { recursive: true, force: true })
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  const child = spawn(
    process.execPath,
    [tsc, '-p', APP_ROOT, '--noEmit', 'false', '--sourceMap', 'false', '--outDir', BUILD_ROOT],
    { stdio: 'inherit' }
  )
  const [code] = await once(child, 'exit')
  if (code !== 0) throw new Error('Compiling tests/app failed')
  await copyFile(new URL('package.json', APP_URL), `${BUILD_ROOT}package.json`)
  await writeFile(`${BUILD_ROOT}ace.js`, "await import('./bin/console.js')\n")
}

/**
 * Runs an ace command of the host app to its end and returns its output.
 */
export async function ace(args: string[], env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ['ace.js', ...args], {
    cwd: APP_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  const [code] = await once(child, 'exit')
  if (code !== 0) throw new Error(`node ace ${args.join(' ')} failed:\n${output}`)
  return output
}

async function workersListening(queueName: string, count: number, redisPort: number) {
  const queue = new Queue(queueName, { connection: { host: '127.0.0.1', port: redisPort } })
  try {
    await waitUntil(`${count} workers on ${queueName}`, async () => {
      return (await queue.getWorkersCount()) >= count
    })
  } finally {
    await queue.close()
  }
}

/**
 * The delivery workers on the Exo queue and its slow lane, `count` of them,
 * as a host app runs them: `node ace queue:listen` with bull-queue, else
 * `node ace exo:work`.
 */
export async function startExoWorkers(count: number, env: Record<string, string>) {
  const command = BULL_QUEUE
    ? ['queue:listen', `--queue=${EXO_REDIS_QUEUE}`, `--queue=${EXO_REDIS_QUEUE}.slow`]
    : ['exo:work', `--queue=${EXO_QUEUE}`, `--concurrency=${env.QUEUE_CONCURRENCY}`]
  const workers = Array.from({ length: count }, (_, index) =>
    track(
      spawn(process.execPath, [...PROFILING, 'ace.js', ...command], {
        cwd: BUILD_ROOT,
        env: { ...process.env, ...env },
        stdio: logTo(`exo-worker-${index + 1}`),
      }),
      `Exo worker ${index + 1}`
    )
  )
  await workersListening(EXO_REDIS_QUEUE, count, Number(env.QUEUE_REDIS_PORT))
  return workers
}

/**
 * The raw baseline's workers, as many and as concurrent as Exo's.
 */
export async function startRawWorkers(
  count: number,
  env: Record<string, string>,
  receiverUrl: string,
  secret: string
) {
  const script = fileURLToPath(new URL('raw_worker.ts', import.meta.url))
  const workers = Array.from({ length: count }, (_, index) =>
    track(
      spawn(process.execPath, [...PROFILING, ...TS_LOADER, script], {
        env: {
          ...process.env,
          ...env,
          RAW_QUEUE,
          RECEIVER_URL: receiverUrl,
          RAW_SECRET: secret,
        },
        stdio: logTo(`raw-worker-${index + 1}`),
      }),
      `raw worker ${index + 1}`
    )
  )
  await workersListening(RAW_QUEUE, count, Number(env.QUEUE_REDIS_PORT))
  return workers
}

/**
 * The host app's web server (bin/server.ts, compiled), resolved once its API answers.
 */
export async function startServer(env: Record<string, string>) {
  const server = track(
    spawn(process.execPath, [...PROFILING, 'bin/server.js'], {
      cwd: BUILD_ROOT,
      env: { ...process.env, ...env },
      stdio: logTo('web-server'),
    }),
    'web server'
  )
  const origin = `http://127.0.0.1:${env.PORT}`
  await waitUntil('The web server answering', async () => {
    const response = await fetch(`${origin}/exo-api/whoami`)
    return response.status === 401
  })
  return { process: server, origin }
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>

/**
 * The receiver process (bench/receiver.ts) and the calls the benchmark makes to it.
 */
export async function startReceiver(port: number) {
  const child = track(
    fork(fileURLToPath(new URL('receiver.ts', import.meta.url)), {
      execArgv: TS_LOADER,
      env: { ...process.env, RECEIVER_PORT: String(port) },
    }),
    'receiver'
  )
  const replies: ReceiverReply[] = []
  const waiting: ((reply: ReceiverReply) => void)[] = []
  let onReached: ((at: number) => void) | undefined
  child.on('message', (reply: ReceiverReply) => {
    if (reply.type === 'reached') return onReached?.(reply.at)
    const next = waiting.shift()
    if (next) next(reply)
    else replies.push(reply)
  })
  const nextReply = () =>
    new Promise<ReceiverReply>((resolve) => {
      const reply = replies.shift()
      if (reply) resolve(reply)
      else waiting.push(resolve)
    })
  const call = (command: ReceiverCommand) => {
    child.send(command)
    return nextReply()
  }

  const listening = await nextReply()
  if (listening.type !== 'listening') throw new Error('The receiver did not start')

  return {
    process: child,
    url: (path = '/hook') => `http://127.0.0.1:${listening.port}${path}`,
    /** An endpoint, on another origin, that holds every request until the sender gives up */
    hangingUrl: () => `http://127.0.0.1:${listening.hangingPort}/hook`,
    /**
     * Forgets what arrived so far; resolves with the monotonic time at which
     * the `count`-th request of what follows arrives.
     */
    async expect(count: number): Promise<{ reached: Promise<number> }> {
      const reached = new Promise<number>((resolve) => (onReached = resolve))
      await call({ type: 'expect', count })
      return { reached }
    },
    async hold() {
      await call({ type: 'hold' })
    },
    async release() {
      await call({ type: 'release' })
    },
    /** How many requests the endpoint that never answers holds open */
    async hangingOpen() {
      const reply = await call({ type: 'hanging' })
      if (reply.type !== 'hanging') throw new Error(`Unexpected receiver reply ${reply.type}`)
      return reply.open
    },
    /** The `data.id` and the arrival time of each request since `expect` */
    async receipts() {
      const reply = await call({ type: 'receipts' })
      if (reply.type !== 'receipts') throw new Error(`Unexpected receiver reply ${reply.type}`)
      return reply
    },
  }
}
