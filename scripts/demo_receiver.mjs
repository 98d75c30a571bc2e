/**
 * The demo's webhook receiver: checks both signatures adonis-exo puts on each
 * request, with the secret of the subscription it comes from, and prints one
 * line per delivery, saying why when it cannot verify one.
 *
 *   DEMO_RECEIVER_PORT=4000 node scripts/demo_receiver.mjs   (npm run demo starts it)
 *
 * - Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`),
 *   checked with the `standardwebhooks` package;
 * - `X-Exo-Signature: sha256=<hex HMAC-SHA256 of the raw body>`, keyed with the
 *   whole secret string, `whsec_` included.
 *
 * Answers 200 when both match the secrets of a subscription whose URL is the
 * one requested, 400 otherwise.
 *
 * Where the secrets come from: a real receiver keeps the secret shown once
 * when its subscription is created or its secret rotated (the API's answer,
 * or the dashboard). This one stands in for the receivers of every
 * subscription of the demo app pointed at it, including those made in the
 * dashboard or the API while the demo runs, so it asks the demo app for their
 * secrets (`node ace demo:secrets` in tests/app, or DEMO_APP_DIR): when it
 * starts, and again when a request is signed with a secret it does not know,
 * as after a subscription is created or its secret rotated. It prints what
 * it learns.
 *
 * `POST /failing` is the demo's broken endpoint: it always answers 500 and
 * prints `✘ 500 /failing …` with the attempt number of the event, so the
 * retries, then the subscription being disabled, can be watched.
 */
import { execFile } from 'node:child_process'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Webhook } from 'standardwebhooks'

const port = Number(process.env.DEMO_RECEIVER_PORT ?? 4000)
const appDir = process.env.DEMO_APP_DIR ?? fileURLToPath(new URL('../tests/app/', import.meta.url))
const origin = `http://127.0.0.1:${port}`

/**
 * The subscriptions pointing at this receiver, by id, as the demo app last
 * told: `{ id, name, url, is_active, secrets }`, `secrets` being those that
 * sign its requests now (a second one during a rotation's grace period).
 */
let known = new Map()

function masked(secret) {
  return `whsec_****${secret.slice(-4)}`
}

function label(subscription) {
  return `#${subscription.id} "${subscription.name}"`
}

/**
 * Asks the demo app for the subscriptions pointing at this receiver.
 */
async function askDemoApp() {
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['ace', 'demo:secrets', `--receiver-port=${port}`],
      { cwd: appDir, timeout: 60_000, maxBuffer: 4 * 1024 * 1024 }
    )
    const line = stdout
      .split('\n')
      .reverse()
      .find((text) => text.startsWith('{"subscriptions"'))
    if (!line) throw new Error(`it printed no secrets: ${stdout.trim().slice(-300)}`)
    return JSON.parse(line).subscriptions
  } catch (error) {
    const output = String(error.stderr ?? '').trim()
    const detail = output ? output.split('\n').slice(-3).join(' ') : error.message
    throw new Error(`node ace demo:secrets (in ${appDir}) failed: ${detail}`)
  }
}

/** Whether the demo app has answered once: what it tells later is news */
let asked = false

/**
 * Takes the demo app's answer as the new list and prints what changed.
 */
function learn(subscriptions) {
  const how = asked ? 'learned from the demo app' : 'from the demo app'
  asked = true
  const next = new Map(subscriptions.map((subscription) => [subscription.id, subscription]))
  for (const subscription of next.values()) {
    const before = known.get(subscription.id)
    const [current, previous] = subscription.secrets
    const where = new URL(subscription.url).pathname
    if (!before) {
      console.log(`🔑 secret of ${label(subscription)} (${where}): ${masked(current)}, ${how}`)
    } else if (before.secrets[0] !== current) {
      const grace = previous ? `; the previous one, ${masked(previous)}, still signs too` : ''
      console.log(
        `🔑 the secret of ${label(subscription)} was rotated: now ${masked(current)}${grace}`
      )
    }
  }
  for (const subscription of known.values()) {
    if (!next.has(subscription.id)) {
      console.log(`🔑 ${label(subscription)} no longer points here (deleted, or its URL changed)`)
    }
  }
  known = next
}

/**
 * Look-ups of the demo app: the one under way (with when it started), and
 * the one that starts when it ends, shared by the requests waiting for it.
 */
let running = null
let queued = null

function startLookUp() {
  const lookUp = { startedAt: performance.now() }
  lookUp.promise = askDemoApp()
    .then(learn)
    .finally(() => {
      if (running === lookUp) running = null
    })
  running = lookUp
  return lookUp.promise
}

/**
 * Resolves once the receiver knows the secrets as they were at `time` (a
 * `performance.now()`) or later: a look-up started since then, or a new one.
 */
function secretsAsOf(time) {
  if (!running) return startLookUp()
  if (running.startedAt >= time) return running.promise
  queued ??= running.promise
    .catch(() => {})
    .then(() => {
      queued = null
      return startLookUp()
    })
  return queued
}

/**
 * The reason the Standard Webhooks signature matches none of `secrets`, or
 * null when it matches one.
 */
function standardWebhooksError(body, headers, secrets) {
  let reason = 'no secret'
  for (const secret of secrets) {
    try {
      new Webhook(secret).verify(body, headers)
      return null
    } catch (error) {
      reason = error.message
    }
  }
  return `webhook-signature: ${reason}`
}

/**
 * The reason `X-Exo-Signature` matches none of `secrets`, or null when it
 * matches one.
 */
function exoSignatureError(body, headers, secrets) {
  const received = Buffer.from(String(headers['x-exo-signature'] ?? ''))
  if (received.length === 0) return 'X-Exo-Signature: missing'
  const matches = secrets.some((secret) => {
    const expected = Buffer.from(
      `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
    )
    return received.length === expected.length && timingSafeEqual(received, expected)
  })
  return matches ? null : 'X-Exo-Signature: no match'
}

/**
 * The subscription pointing at `path` whose secrets verify the request, or
 * why there is none: `{ subscription }` or `{ reason }`.
 */
function verify(body, headers, path) {
  const candidates = [...known.values()].filter(
    (subscription) => new URL(subscription.url).pathname === path
  )
  if (candidates.length === 0) {
    const here = [...known.values()].map((s) => `${label(s)} at ${new URL(s.url).pathname}`)
    return {
      reason:
        `no subscription of the demo app points at ${origin}${path}, so no secret to check it with` +
        (here.length > 0 ? ` (pointing here: ${here.join(', ')})` : ''),
    }
  }
  const mismatches = []
  for (const subscription of candidates) {
    const errors = [
      standardWebhooksError(body, headers, subscription.secrets),
      exoSignatureError(body, headers, subscription.secrets),
    ].filter(Boolean)
    if (errors.length === 0) return { subscription }
    mismatches.push(`${label(subscription)}: ${errors.join(', ')}`)
  }
  return {
    reason:
      `signed with none of the secrets of the subscriptions at ${path}, as the demo app has ` +
      `them now — ${mismatches.join('; ')}`,
  }
}

/**
 * Why the request cannot be one of adonis-exo's, or null when it carries its
 * signature headers.
 */
function unsigned(headers) {
  const missing = [
    'webhook-id',
    'webhook-timestamp',
    'webhook-signature',
    'x-exo-signature',
  ].filter((name) => !headers[name])
  return missing.length > 0
    ? `not signed as adonis-exo signs: no ${missing.join(', ')} header (sent by something else?)`
    : null
}

/**
 * The request in a line: its event, the subscription it was verified for if
 * any, its attempt id and its data.
 */
function describe(body, headers, subscription) {
  const delivery = `${subscription ? `for ${label(subscription)} ` : ''}(X-Exo-Delivery ${headers['x-exo-delivery'] ?? '?'})`
  try {
    const { id, event, resource, data } = JSON.parse(body)
    if (typeof event === 'string') {
      return `${event} ${resource} ${id} ${delivery} data=${JSON.stringify(data)}`
    }
  } catch {}
  return `a request ${delivery} body=${body.slice(0, 200)}`
}

/**
 * Checks a request's signatures, asking the demo app again when its secrets
 * known here do not match: the answer's status and the line to print.
 */
async function check(body, headers, path, receivedAt) {
  const notSigned = unsigned(headers)
  if (notSigned) return { ok: false, reason: notSigned }
  let result = verify(body, headers, path)
  if (!result.subscription && running) {
    // The look-up under way (the first one, say) may bring the secret already
    await running.promise.catch(() => {})
    result = verify(body, headers, path)
  }
  if (!result.subscription) {
    try {
      await secretsAsOf(receivedAt)
    } catch (error) {
      return {
        ok: false,
        reason: `${result.reason}; and asking the demo app again: ${error.message}`,
      }
    }
    result = verify(body, headers, path)
  }
  return result.subscription
    ? { ok: true, subscription: result.subscription }
    : { ok: false, reason: result.reason }
}

/**
 * Requests received on /failing, by event id (`webhook-id`): the attempt number.
 */
const failingAttempts = new Map()

function fail(body, headers, path) {
  const eventId = String(headers['webhook-id'] ?? '?')
  const attempt = (failingAttempts.get(eventId) ?? 0) + 1
  failingAttempts.set(eventId, attempt)
  let what = ''
  try {
    const { event, resource, id } = JSON.parse(body)
    what = `${event} ${resource} ${id} `
  } catch {}
  console.log(
    `✘ 500 ${path} ${what}attempt ${attempt} (X-Exo-Delivery ${headers['x-exo-delivery'] ?? '?'})`
  )
}

const server = createServer((request, response) => {
  const receivedAt = performance.now()
  const chunks = []
  request.on('data', (chunk) => chunks.push(chunk))
  request.on('end', async () => {
    if (request.method !== 'POST') {
      response.writeHead(405, { allow: 'POST' }).end()
      return
    }
    const body = Buffer.concat(chunks).toString('utf8')
    const path = new URL(request.url ?? '/', 'http://receiver').pathname
    if (path === '/failing') {
      fail(body, request.headers, path)
      response
        .writeHead(500, { 'content-type': 'text/plain' })
        .end('demo: this endpoint always fails')
      return
    }
    const result = await check(body, request.headers, path, receivedAt)
    if (result.ok) {
      console.log(`✔ verified ${describe(body, request.headers, result.subscription)}`)
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
    } else {
      console.log(`✘ cannot verify ${describe(body, request.headers)}: ${result.reason}`)
      response
        .writeHead(400, { 'content-type': 'text/plain' })
        .end(`invalid signature: ${result.reason}`)
    }
  })
})

server.listen(port, '127.0.0.1', () => {
  console.log(`listening on ${origin}/webhooks (verified) and /failing (always 500)`)
  console.log('asking the demo app for the secrets of the subscriptions pointing here…')
  startLookUp().catch((error) => console.log(`✘ ${error.message}; will ask again on each request`))
})

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.closeAllConnections()
    server.close(() => process.exit(0))
  })
}
