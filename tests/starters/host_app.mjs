/**
 * What the starter-kit scripts share (tests/starters/smoke.mjs, tests/starters/upgrade.mjs):
 * an installed host app and its child processes, a loopback receiver that verifies what it
 * gets, the steps and the failure report.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
// The repository's own devDependency: a Standard Webhooks implementation that is not ours
import { Webhook } from 'standardwebhooks'

/**
 * The app installed in `dir`: its major (its @adonisjs/core's), what it has installed (the
 * package as packed, its AdonisJS, pg, the ioredis that comes with adonis-exo), its APP_KEY,
 * and the Node its processes run on (`node`, this one unless named).
 */
export function hostApp(dir, node = process.execPath) {
  const appDir = resolve(dir)
  const appRequire = createRequire(resolve(appDir, 'package.json'))
  const major = Number.parseInt(appRequire('@adonisjs/core/package.json').version, 10)
  assert.ok(major === 6 || major === 7, `${appDir}: @adonisjs/core is neither 6 nor 7 but ${major}`)
  return {
    dir: appDir,
    major,
    node,
    require: appRequire,
    import: (specifier) => import(pathToFileURL(appRequire.resolve(specifier)).href),
    pg: appRequire('pg'),
    Redis: createRequire(appRequire.resolve('adonis-exo/receiver'))('ioredis'),
    appKey: /^APP_KEY=(.*)$/m.exec(readFileSync(resolve(appDir, '.env'), 'utf8'))[1],
    /**
     * How the starter kit's own dev server runs bin/server.ts: AdonisJS 7's assembler with
     * @poppinss/ts-exec, AdonisJS 6's with ts-node-maintained
     */
    serverArgs:
      major >= 7
        ? ['--import=@poppinss/ts-exec', 'bin/server.ts']
        : ['--import=ts-node-maintained/register/esm', '--enable-source-maps', 'bin/server.js'],
  }
}

/** The step under way and the child processes, for the failure report */
const run = { step: 'starting', children: [] }

export function step(name) {
  run.step = name
  console.log(`-- ${name}`)
}

/** Polls `check` until it returns a truthy value, failing with `what` after `ms` */
export async function waitFor(what, check, ms = 30_000) {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000}s waiting for ${what}`)
    await new Promise((done) => setTimeout(done, 100))
  }
}

/** The fixed ports of the other runs on the machine */
const TAKEN_PORTS = [3334, 3344, 3354, 3384, 3385]

export async function freePort() {
  for (;;) {
    const server = createServer()
    await new Promise((done) => server.listen(0, '127.0.0.1', done))
    const { port } = server.address()
    await new Promise((done) => server.close(done))
    if (!TAKEN_PORTS.includes(port)) return port
  }
}

const stripAnsi = (text) => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')

/**
 * A child process of the app, on the app's Node, its output kept for the failure message
 */
export function start(app, name, args, env) {
  const child = spawn(app.node, args, {
    cwd: app.dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const entry = { name: `${name} (v${app.major})`, child, output: '', exited: null }
  const keep = (chunk) => {
    entry.output = (entry.output + stripAnsi(chunk.toString())).slice(-20_000)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  entry.exit = new Promise((done) =>
    child.on('exit', (code, signal) => {
      entry.exited = { code, signal }
      done(entry.exited)
    })
  )
  run.children.push(entry)
  return entry
}

/** Runs an ace command of the app to its end; fails unless it exits 0 */
export async function ace(app, args, env) {
  const entry = start(app, `node ace ${args.join(' ')}`, ['ace.js', ...args], env)
  const { code } = await entry.exit
  assert.equal(code, 0, `${entry.name} exited with ${code}:\n${entry.output}`)
  return entry.output
}

/** Sends SIGTERM to a child; fails unless it exits within 10 s. Resolves with its exit. */
export async function stop(entry) {
  entry.child.kill('SIGTERM')
  const stopped = await Promise.race([
    entry.exit,
    new Promise((done) => setTimeout(() => done(null), 10_000)),
  ])
  assert.ok(stopped, `${entry.name} still runs 10 s after SIGTERM`)
  return stopped
}

/** The app's HTTP server (serverArgs), once it answers at `origin` */
export async function startServer(app, origin, env) {
  const server = start(app, 'the HTTP server', app.serverArgs, env)
  await waitFor(`the HTTP server to answer at ${origin}`, async () => {
    if (server.exited) throw new Error(`the server exited: ${JSON.stringify(server.exited)}`)
    return fetch(origin).then(
      (response) => response.ok,
      () => false
    )
  })
  return server
}

/** `node ace exo:work`, once it listens on the namespace's queues */
export async function startWorker(app, namespace, env) {
  const worker = start(app, 'node ace exo:work', ['ace.js', 'exo:work'], env)
  await waitFor('exo:work to listen', () => {
    if (worker.exited) throw new Error(`exo:work exited: ${JSON.stringify(worker.exited)}`)
    return worker.output.includes(`Exo workers listening on ${namespace}.`)
  })
  return worker
}

/** `node ace exo:user`: the API token it prints last */
export async function createUser(app, { email, password, name }, env) {
  const output = await ace(
    app,
    ['exo:user', `--email=${email}`, `--password=${password}`, `--name=${name}`],
    env
  )
  const token = output.trim().split('\n').at(-1).trim()
  assert.match(token, /^\S{20,}$/, `no token on the last line of exo:user:\n${output}`)
  return token
}

/** `node ace order:create` (the app's `Order.create`): the new order's id */
export async function createOrder(app, userId, total, env) {
  const output = await ace(app, ['order:create', `--user=${userId}`, `--total=${total}`], env)
  const orderId = Number(/order (\d+)/.exec(output)?.[1])
  assert.ok(orderId, `order:create printed no order id:\n${output}`)
  return orderId
}

/** A call of the API with the bearer token: its status and JSON body */
export async function api(origin, token, method, path, body) {
  const response = await fetch(`${origin}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  })
  return { status: response.status, body: await response.json() }
}

/** A client of the PostgreSQL database `database` on 127.0.0.1, with the app's pg, connected */
export async function database(app, name) {
  const client = new app.pg.Client({
    host: '127.0.0.1',
    port: 5432,
    user: 'postgres',
    password: process.env.DB_PASSWORD ?? '',
    database: name,
  })
  await client.connect()
  return client
}

/** A client of the Redis on 127.0.0.1:6379, with the ioredis that comes with adonis-exo */
export function redis(app) {
  return new app.Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 })
}

/** Deletes every key of the namespace on Redis */
export async function clearNamespace(app, namespace) {
  const client = redis(app)
  const keys = await client.keys(`*${namespace}*`)
  if (keys.length) await client.del(...keys)
  client.disconnect()
}

/**
 * The receiver, on loopback: every request, verified with the secret it holds at the time,
 * with `verifyWebhook` (the app's adonis-exo/receiver) and the `standardwebhooks` package.
 * It answers 200 to what verifies, 400 to what does not, unless `answer(entry)` names a
 * status. `await receiver.listen()` resolves with its URL.
 */
export function createReceiver(app, answer = () => undefined) {
  const verifying = app.import('adonis-exo/receiver')
  const receiver = {
    secret: null,
    requests: [],
    server: createServer((request, response) => {
      const chunks = []
      request.on('data', (chunk) => chunks.push(chunk))
      request.on('end', async () => {
        const { verifyWebhook } = await verifying
        const body = Buffer.concat(chunks).toString('utf8')
        const entry = { url: request.url, headers: request.headers, secret: receiver.secret }
        try {
          entry.payload = verifyWebhook(body, request.headers, receiver.secret ?? [])
          // The same request through an implementation of Standard Webhooks that is not ours
          assert.deepEqual(
            new Webhook(receiver.secret ?? '').verify(body, request.headers),
            entry.payload
          )
          entry.verified = true
        } catch (error) {
          entry.verified = false
          entry.error = `${error.code ?? error.name}: ${error.message}`
          entry.payload = JSON.parse(body || 'null')
        }
        entry.status = answer(entry) ?? (entry.verified ? 200 : 400)
        receiver.requests.push(entry)
        response.writeHead(entry.status, { 'content-type': 'application/json' })
        response.end(JSON.stringify({ verified: entry.verified }))
      })
    }),
    async listen() {
      await new Promise((done) => receiver.server.listen(0, '127.0.0.1', done))
      return `http://127.0.0.1:${receiver.server.address().port}/hook`
    },
    close() {
      receiver.server.closeAllConnections()
      receiver.server.close()
    },
  }
  return receiver
}

/**
 * Runs `main`, then kills what it left running and calls `cleanup`. On a failure, prints the
 * step and the children's last output, and sets the exit code to 1.
 */
export async function runScript(title, main, cleanup = () => {}) {
  try {
    const summary = await main()
    console.log(`${title} passed: ${summary}`)
  } catch (error) {
    console.error(`\n${title} FAILED at "${run.step}":\n${error?.stack ?? error}`)
    for (const { name, output } of run.children) {
      if (output.trim()) console.error(`\n--- last output of ${name}:\n${output.slice(-4000)}`)
    }
    process.exitCode = 1
  } finally {
    for (const { child, exited } of run.children) if (!exited) child.kill('SIGKILL')
    cleanup()
  }
}
