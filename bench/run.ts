/**
 * npm run bench: adonis-exo against the raw stack it is built on, in one run.
 *
 * Starts a private redis-server, migrates the benchmark database, boots the
 * host app (tests/app) in this process, runs its delivery workers
 * (`node ace queue:listen`; `node ace exo:work` on AdonisJS 7) and the raw
 * baseline's workers side by side with one loopback receiver, runs each
 * scenario in alternating rounds, then prints a table and writes
 * bench/results.json. See docs/benchmarks.md; scripts/bench_v7.sh runs it on
 * AdonisJS 7.
 *
 * Environment:
 *   BENCH_WORKERS       worker processes per side (default 1)
 *   BENCH_CONCURRENCY   jobs each worker runs at once, both sides (default 50)
 *   BENCH_ROUNDS        measured rounds per scenario (default 5; saves: three times as many)
 *   BENCH_QUICK=1       a fifth of the default sizes, for trying the bench out
 *   BENCH_ONLY          some of the scenarios, comma-separated: save, transaction,
 *                       throughput, latency, fanout, fanout_filtered, list, stats,
 *                       slow_endpoint
 *                       (default: all)
 *   BENCH_PROFILE=1     workers and the API server write CPU profiles to bench/tmp/profiles/
 *   BENCH_PORT          first of two ports to bind (receiver, web server);
 *                       default: free ports
 *   BENCH_DB_DATABASE   PostgreSQL database, emptied by the run (default exo_bench)
 *   DB_HOST, DB_PORT, DB_USER, DB_PASSWORD   PostgreSQL server (127.0.0.1:5432, postgres)
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { freePort } from '../tests/app/tests/helpers/free_port.js'
import { CpuMeter } from './cpu.js'
import { bootHostApp, loadModels, queues, type BenchContext } from './host_app.js'
import {
  ace,
  adonisVersion,
  appEnvironment,
  compileHostApp,
  createDatabase,
  startExoWorkers,
  startRawWorkers,
  startReceiver,
  startRedis,
  stop,
  type Settings,
} from './processes.js'
import { report, type Results } from './report.js'
import { deliveriesList } from './scenarios/deliveries_list.js'
import { endpointStats } from './scenarios/endpoint_stats.js'
import { fanOut } from './scenarios/fan_out.js'
import { latency } from './scenarios/latency.js'
import { saveOverhead } from './scenarios/save_overhead.js'
import { SLOW_ENDPOINT_ENV, slowEndpoint } from './scenarios/slow_endpoint.js'
import { throughput } from './scenarios/throughput.js'

const startedAt = Date.now()
const quick = process.env.BENCH_QUICK === '1'
const scale = (size: number) => (quick ? Math.ceil(size / 5) : size)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
// A round of saves lasts under a second and waits on the disk's flushes,
// whose speed drifts from one second to the next
const saveRounds = rounds * 3
const only = process.env.BENCH_ONLY?.split(',')
const runs = (scenario: string) => !only || only.includes(scenario)
const basePort = Number(process.env.BENCH_PORT ?? 0)
const settings: Settings = {
  workers: Number(process.env.BENCH_WORKERS ?? 1),
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 50),
  basePort,
}

function step(message: string) {
  console.log(`\n==> ${message}`)
}

function machine(postgres: string, redis: string) {
  const cpuModel = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1]
  return {
    adonisjs: adonisVersion(),
    cores: os.availableParallelism(),
    cpu_model: cpuModel ?? os.cpus()[0]?.model,
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    postgres,
    redis,
  }
}

const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim()

console.log(`AdonisJS ${adonisVersion()} on Node ${process.version}`)
step('Compiling the host app, starting a private redis-server, migrating the database')
await compileHostApp()
const redis = await startRedis()
const env = appEnvironment(settings, redis.port)
if (!basePort) env.PORT = String(await freePort())
await createDatabase(env)
await ace(['migration:fresh', '--force'], env)

const app = await bootHostApp(env)
const { default: db } = await import('@adonisjs/lucid/services/db')
const models = await loadModels()
const { exoQueue, rawQueue } = queues(redis.port)
const children = []

try {
  step(`Starting the receiver and ${settings.workers} worker(s) per side`)
  const receiver = await startReceiver(basePort)
  const exoWorkers = await startExoWorkers(settings.workers, env)
  const rawWorkers = await startRawWorkers(
    settings.workers,
    env,
    receiver.url(),
    randomBytes(32).toString('hex')
  )
  children.push(receiver.process, ...exoWorkers, ...rawWorkers)
  const redisClient = await exoQueue.client
  const redisInfo: string = await redisClient.info()
  const pids = (processes: { pid?: number }[]) => processes.map((child) => child.pid!)
  const roles = {
    web: [process.pid],
    exo_worker: pids(exoWorkers),
    raw_worker: pids(rawWorkers),
    receiver: pids([receiver.process]),
    redis: [Number(redisInfo.match(/process_id:(\d+)/)?.[1])],
  }
  const cpu = new CpuMeter(roles, db)
  const ctx: BenchContext = { app, db, settings, env, receiver, models, exoQueue, rawQueue, cpu }

  const admin = await models.User.create({
    email: 'admin@example.com',
    password: 'benchmark-password',
    isAdmin: true,
  })
  const customer = await models.User.create({
    email: 'customer@example.com',
    password: 'benchmark-password',
  })
  // An admin's integration: it receives every customer's orders
  const subscription = await models.WebhookSubscription.create({
    userId: admin.id,
    name: 'CRM sync',
    url: receiver.url(),
    resource: 'order',
    events: ['on_create'],
  })

  const pgVersion = await db.rawQuery('SHOW server_version')
  const results: Results = {
    machine: machine(
      pgVersion.rows[0].server_version,
      redisInfo.match(/redis_version:(\S+)/)?.[1] ?? 'unknown'
    ),
    load: { at_start: uptime() },
    settings: { ...settings, rounds, quick, only },
  }

  if (runs('save')) {
    step('Save overhead: Order.create with and without Exo')
    results.hook_overhead = await saveOverhead(ctx, customer.id, {
      rounds: saveRounds,
      count: scale(1000),
      // After a single round, Exo's side still ran 10 to 15 % slower in the
      // next seven than later, in each of four runs; the plain side was level
      warmUpRounds: 8,
    })
  }
  if (runs('transaction')) {
    step('Save overhead: 100 creates in one transaction, with and without Exo')
    results.hook_overhead_trx = await saveOverhead(ctx, customer.id, {
      rounds: saveRounds,
      count: scale(20),
      perTransaction: 100,
      // It runs warm, after the single saves: its rounds show no such slope
      warmUpRounds: 1,
    })
  }
  if (runs('throughput')) {
    step('Throughput: full pipeline against the raw baseline')
    results.throughput = await throughput(
      ctx,
      { userId: customer.id, subscriptionId: subscription.id },
      { rounds, events: scale(5000) }
    )
  }
  if (runs('latency')) {
    step('Latency: save → receipt at a steady 200 events/s')
    results.latency = await latency(ctx, customer.id, { rounds, events: scale(2000), rate: 200 })
  }
  if (runs('fanout')) {
    step('Fan-out: one event → 10,000 subscriptions')
    results.fanout = await fanOut(ctx, admin.id, { rounds, subscriptions: 10_000 })
  }
  if (runs('fanout_filtered')) {
    step('Fan-out: one event → 10,000 subscriptions with a filter each, half of them matching')
    results.fanout_filtered = await fanOut(ctx, admin.id, {
      rounds,
      subscriptions: 10_000,
      filtered: true,
    })
  }
  if (runs('list')) {
    step('API: the first page of deliveries of a subscription with 100,000 attempts')
    results.deliveries_list = await deliveriesList(ctx, { rows: 100_000, requests: scale(200) })
  }
  if (runs('stats')) {
    step('API: the stats of a subscription with 1,000,000 attempts over 30 days')
    results.endpoint_stats = await endpointStats(ctx, {
      rows: scale(1_000_000),
      requests: scale(200),
    })
  }

  if (runs('slow_endpoint')) {
    step('Fairness: save → receipt at 20 subscriptions while a 21st endpoint hangs')
    // Last: its workers give up on a request after 5 s, not 30, and never disable an endpoint
    await Promise.all(exoWorkers.map((worker) => stop(worker)))
    const fairnessWorkers = await startExoWorkers(settings.workers, {
      ...env,
      ...SLOW_ENDPOINT_ENV,
    })
    children.push(...fairnessWorkers)
    roles.exo_worker.splice(0, Infinity, ...pids(fairnessWorkers))
    results.slow_endpoint = await slowEndpoint(
      ctx,
      { ownerId: admin.id, userId: customer.id },
      { rounds, events: scale(300), rate: 25 }
    )
  }

  results.load.at_end = uptime()
  results.duration_s = Math.round((Date.now() - startedAt) / 1000)
  const output = report(results)
  const file = only ? 'tmp/results-partial.json' : 'results.json'
  writeFileSync(new URL(file, import.meta.url), JSON.stringify(output, null, 2) + '\n')
  console.log(`\nWrote bench/${file}`)
} finally {
  await Promise.all(children.map((child) => stop(child)))
  await Promise.allSettled([exoQueue.close(), rawQueue.close()])
  await app.terminate()
  await redis.stop()
}
