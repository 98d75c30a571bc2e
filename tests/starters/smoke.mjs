/**
 * The smoke test of an AdonisJS starter app with adonis-exo installed, shared by both majors:
 * scripts/test_v6.sh runs it on Node 20 in tests/v6/.work/app (the web starter kit, AdonisJS 6),
 * scripts/test_v7.sh on Node 24 in tests/v7/.work/app (the hypermedia starter kit, AdonisJS 7),
 * once the app is installed, configured and migrated:
 *
 *   node tests/starters/smoke.mjs <app dir> [database]
 *
 * The major is the app's @adonisjs/core's; the database is exo_v<major> unless named; the
 * HTTP server listens on SMOKE_PORT, or on a free port.
 *
 * 1. a loopback receiver verifies each request with `verifyWebhook` (adonis-exo/receiver, as
 *    packed) and with the `standardwebhooks` package, with the secret it was given;
 * 2. the app's HTTP server and `node ace exo:work` run as child processes;
 * 3. `exo:user` makes a user and a token, `POST /exo-api/webhooks` a subscription,
 *    `order:create` an order (`Order.create`): the receiver gets its signed `on_create`;
 * 4. the dashboard's sign-in (CSRF token and cookies), then its subscriptions page;
 * 5. the secret is stored encrypted by the app (AdonisJS 7: its gcm encryptor); on AdonisJS 7
 *    a secret encrypted by AdonisJS 6 (@adonisjs/encryption 6, the APP_KEY) replaces it;
 *    the stored secret signs the ping and the next delivery;
 * 6. `exo:work` exits within 10 s of SIGTERM.
 *
 * Exits 1 with the failed step and the children's last output on any failure.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
// The repository's own devDependency: a Standard Webhooks implementation that is not ours
import { Webhook } from 'standardwebhooks'

if (!process.argv[2]) throw new Error('usage: node tests/starters/smoke.mjs <app dir> [database]')
const APP_DIR = resolve(process.argv[2])

/** What the app has installed: the package as packed, its AdonisJS, pg */
const appRequire = createRequire(resolve(APP_DIR, 'package.json'))
const importFromApp = (specifier) => import(pathToFileURL(appRequire.resolve(specifier)).href)
const MAJOR = Number.parseInt(appRequire('@adonisjs/core/package.json').version, 10)
assert.ok(MAJOR === 6 || MAJOR === 7, `the app's @adonisjs/core is neither 6 nor 7 but ${MAJOR}`)
const DATABASE = process.argv[3] ?? `exo_v${MAJOR}`
const NAMESPACE = `exo-v${MAJOR}-smoke` // config/exo.ts of the app
const EMAIL = 'smoke@example.com'
const PASSWORD = `smoke-password-v${MAJOR}`
const SUBSCRIPTION_NAME = `V${MAJOR} smoke receiver`

/**
 * How the starter kit's own dev server runs bin/server.ts: AdonisJS 7's assembler with
 * @poppinss/ts-exec, AdonisJS 6's with ts-node-maintained
 */
const SERVER_ARGS =
  MAJOR >= 7
    ? ['--import=@poppinss/ts-exec', 'bin/server.ts']
    : ['--import=ts-node-maintained/register/esm', '--enable-source-maps', 'bin/server.js']

const { verifyWebhook } = await importFromApp('adonis-exo/receiver')
const pg = appRequire('pg')
// ioredis comes with adonis-exo
const Redis = createRequire(appRequire.resolve('adonis-exo/receiver'))('ioredis')

const APP_KEY = /^APP_KEY=(.*)$/m.exec(readFileSync(resolve(APP_DIR, '.env'), 'utf8'))[1]

let currentStep = 'starting'
const children = []

function step(name) {
  currentStep = name
  console.log(`-- ${name}`)
}

/** Polls `check` until it returns a truthy value, failing with `what` after `ms` */
async function waitFor(what, check, ms = 30_000) {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000}s waiting for ${what}`)
    await new Promise((done) => setTimeout(done, 100))
  }
}

async function freePort() {
  for (;;) {
    const server = createServer()
    await new Promise((done) => server.listen(0, '127.0.0.1', done))
    const { port } = server.address()
    await new Promise((done) => server.close(done))
    if (![3334, 3344, 3354].includes(port)) return port // the fixed ports of other runs
  }
}

const stripAnsi = (text) => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')

/**
 * A child process of the app, its output kept for the failure message
 */
function start(name, args, env) {
  const child = spawn(process.execPath, args, {
    cwd: APP_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const entry = { name, child, output: '', exited: null }
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
  children.push(entry)
  return entry
}

/** Runs an ace command to its end; fails unless it exits 0 */
async function ace(args, env) {
  const entry = start(`node ace ${args.join(' ')}`, ['ace.js', ...args], env)
  const { code } = await entry.exit
  assert.equal(code, 0, `${entry.name} exited with ${code}:\n${entry.output}`)
  return entry.output
}

/**
 * The receiver: every request, verified with the secret it holds at the time
 */
const receiver = {
  secret: null,
  requests: [],
  server: createServer((request, response) => {
    const chunks = []
    request.on('data', (chunk) => chunks.push(chunk))
    request.on('end', () => {
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
      receiver.requests.push(entry)
      response.writeHead(entry.verified ? 200 : 400, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ verified: entry.verified }))
    })
  }),
}

/**
 * Cookies of the dashboard's session, as a browser keeps them
 */
class CookieJar {
  #cookies = new Map()
  store(response) {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';')
      const index = pair.indexOf('=')
      this.#cookies.set(pair.slice(0, index).trim(), pair.slice(index + 1))
    }
  }
  header() {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }
}

async function main() {
  step('clearing the namespace on Redis and starting the receiver')
  const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 })
  const keys = await redis.keys(`*${NAMESPACE}*`)
  if (keys.length) await redis.del(...keys)
  redis.disconnect()
  await new Promise((done) => receiver.server.listen(0, '127.0.0.1', done))
  const receiverUrl = `http://127.0.0.1:${receiver.server.address().port}/hook`

  const port = process.env.SMOKE_PORT ? Number(process.env.SMOKE_PORT) : await freePort()
  const origin = `http://127.0.0.1:${port}`
  const env = {
    PORT: String(port),
    HOST: '127.0.0.1',
    APP_URL: origin,
    NODE_ENV: 'development',
    EXO_ALLOW_PRIVATE_NETWORKS: 'true', // the receiver is on loopback
  }

  step(`starting the HTTP server on ${origin} and node ace exo:work`)
  const server = start('the HTTP server', SERVER_ARGS, env)
  const worker = start('node ace exo:work', ['ace.js', 'exo:work'], env)
  await waitFor('the HTTP server to answer', async () => {
    if (server.exited) throw new Error(`the server exited: ${JSON.stringify(server.exited)}`)
    return fetch(origin).then(
      (response) => response.ok,
      () => false
    )
  })
  await waitFor('exo:work to listen', () => {
    if (worker.exited) throw new Error(`exo:work exited: ${JSON.stringify(worker.exited)}`)
    return worker.output.includes(`Exo workers listening on ${NAMESPACE}.`)
  })

  step('node ace exo:user: a user and an API token')
  const userOutput = await ace(
    ['exo:user', `--email=${EMAIL}`, `--password=${PASSWORD}`, '--name=Smoke Test'],
    env
  )
  const token = userOutput.trim().split('\n').at(-1).trim()
  assert.match(token, /^\S{20,}$/, `no token on the last line of exo:user:\n${userOutput}`)

  const db = new pg.Client({
    host: '127.0.0.1',
    port: 5432,
    user: 'postgres',
    password: process.env.DB_PASSWORD ?? '',
    database: DATABASE,
  })
  await db.connect()
  try {
    const { rows: users } = await db.query('SELECT id FROM users WHERE email = $1', [EMAIL])
    assert.equal(users.length, 1, 'exo:user made no row in users')
    const userId = users[0].id

    step('POST /exo-api/webhooks with the bearer token (no CSRF token)')
    const created = await fetch(`${origin}/exo-api/webhooks`, {
      method: 'POST',
      headers: {
        'authorization': `Bearer ${token}`,
        'content-type': 'application/json',
        'accept': 'application/json',
      },
      body: JSON.stringify({
        name: SUBSCRIPTION_NAME,
        url: receiverUrl,
        resource: 'order',
        events: ['on_create'],
      }),
    })
    const subscription = await created.json()
    assert.equal(created.status, 201, `POST /exo-api/webhooks: ${JSON.stringify(subscription)}`)
    assert.match(subscription.secret, /^whsec_/, 'the subscription came without its secret')
    receiver.secret = subscription.secret

    const { rows: stored } = await db.query('SELECT secret FROM exo_subscriptions WHERE id = $1', [
      subscription.id,
    ])
    if (MAJOR >= 7) {
      assert.match(
        stored[0].secret,
        /^gcm\./,
        "the secret is not encrypted by the app's gcm encryptor"
      )
    } else {
      assert.ok(!stored[0].secret.includes(subscription.secret), 'the secret is stored in clear')
      assert.equal(stored[0].secret.split('.').length, 3, 'not encrypted (cipher.iv.hmac)')
    }

    step('node ace order:create: the receiver gets the signed on_create')
    const orderOutput = await ace(['order:create', `--user=${userId}`, '--total=4200'], env)
    const orderId = Number(/order (\d+)/.exec(orderOutput)?.[1])
    assert.ok(orderId, `order:create printed no order id:\n${orderOutput}`)
    const delivery = await waitFor('the on_create webhook at the receiver', () =>
      receiver.requests.find(
        (r) => r.payload?.event === 'on_create' && r.payload?.data?.id === orderId
      )
    )
    assert.ok(delivery.verified, `the on_create webhook does not verify: ${delivery.error}`)
    assert.deepEqual(delivery.payload.data, { id: orderId, total: 4200 })
    assert.equal(delivery.payload.resource, 'order')

    step('the dashboard: sign in at /exo/login, then the subscriptions page')
    const jar = new CookieJar()
    const loginPage = await fetch(`${origin}/exo/login`)
    jar.store(loginPage)
    const loginHtml = await loginPage.text()
    assert.equal(loginPage.status, 200, `GET /exo/login answered ${loginPage.status}`)
    const csrf = /name=["']_csrf["']\s+value=["']([^"']+)["']/.exec(loginHtml)?.[1]
    assert.ok(csrf, 'no _csrf field on /exo/login')
    const signIn = await fetch(`${origin}/exo/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'cookie': jar.header() },
      body: new URLSearchParams({ _csrf: csrf, email: EMAIL, password: PASSWORD }),
    })
    jar.store(signIn)
    assert.equal(signIn.status, 302, `POST /exo/login answered ${signIn.status}`)
    assert.match(
      signIn.headers.get('location') ?? '',
      /\/exo\/dashboard$/,
      'not sent on to the dashboard'
    )
    const dashboard = await fetch(`${origin}/exo/dashboard`, {
      redirect: 'manual',
      headers: { cookie: jar.header() },
    })
    const dashboardHtml = await dashboard.text()
    assert.equal(dashboard.status, 200, `GET /exo/dashboard answered ${dashboard.status}`)
    assert.ok(
      dashboardHtml.includes(SUBSCRIPTION_NAME),
      'the dashboard does not list the subscription'
    )

    if (MAJOR >= 7) {
      step('a secret encrypted under AdonisJS 6 signs the ping and the next delivery')
      const { Encryption } = await importFromApp('@adonisjs/encryption')
      const v6Secret = `whsec_${randomBytes(32).toString('base64')}`
      const v6Encrypted = new Encryption({ secret: APP_KEY }).encrypt(v6Secret)
      assert.equal(v6Encrypted.split('.').length, 3, 'not the AdonisJS 6 format (cipher.iv.hmac)')
      await db.query(
        'UPDATE exo_subscriptions SET secret = $1, previous_secret = NULL WHERE id = $2',
        [v6Encrypted, subscription.id]
      )
      receiver.secret = v6Secret
    } else {
      step('the stored secret signs the ping and the next delivery')
    }
    const ping = await fetch(`${origin}/exo-api/webhooks/${subscription.id}/ping`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    })
    const pingBody = await ping.json()
    const pinged = receiver.requests.find((r) => r.payload?.event === 'ping')
    assert.ok(pinged, `the receiver got no ping (${ping.status} ${JSON.stringify(pingBody)})`)
    assert.ok(pinged.verified, `the ping does not verify with the stored secret: ${pinged.error}`)
    assert.equal(ping.status, 200, `POST …/ping: ${JSON.stringify(pingBody)}`)
    assert.equal(pingBody.http_status, 200)

    const secondOutput = await ace(['order:create', `--user=${userId}`, '--total=99'], env)
    const secondId = Number(/order (\d+)/.exec(secondOutput)?.[1])
    const second = await waitFor("exo:work's delivery of the second order", () =>
      receiver.requests.find(
        (r) => r.payload?.event === 'on_create' && r.payload?.data?.id === secondId
      )
    )
    assert.ok(second.verified, `exo:work signed without the stored secret: ${second.error}`)
    assert.ok(
      receiver.requests.every((r) => r.verified),
      `a request did not verify: ${JSON.stringify(receiver.requests.filter((r) => !r.verified))}`
    )
  } finally {
    await db.end()
  }

  step('SIGTERM to exo:work: it exits within 10 s')
  const stopping = Date.now()
  worker.child.kill('SIGTERM')
  const stopped = await Promise.race([
    worker.exit,
    new Promise((done) => setTimeout(() => done(null), 10_000)),
  ])
  assert.ok(stopped, 'exo:work still runs 10 s after SIGTERM')
  assert.equal(stopped.code, 0, `exo:work exited with ${JSON.stringify(stopped)}`)
  console.log(`   exo:work exited in ${((Date.now() - stopping) / 1000).toFixed(1)} s`)

  step('stopping the HTTP server')
  server.child.kill('SIGTERM')
  const serverStopped = await Promise.race([
    server.exit,
    new Promise((done) => setTimeout(() => done(null), 10_000)),
  ])
  assert.ok(serverStopped, 'the HTTP server still runs 10 s after SIGTERM')
}

try {
  await main()
  console.log(
    `v${MAJOR} smoke test passed: ${receiver.requests.length} verified requests at the receiver`
  )
} catch (error) {
  console.error(`\nv${MAJOR} smoke test FAILED at "${currentStep}":\n${error?.stack ?? error}`)
  for (const { name, output } of children) {
    if (output.trim()) console.error(`\n--- last output of ${name}:\n${output.slice(-4000)}`)
  }
  process.exitCode = 1
} finally {
  for (const { child, exited } of children) if (!exited) child.kill('SIGKILL')
  receiver.server.closeAllConnections()
  receiver.server.close()
}
