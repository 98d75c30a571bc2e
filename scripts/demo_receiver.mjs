/**
 * The demo's webhook receiver: checks both signatures adonis-exo puts on each
 * request and prints one line per delivery.
 *
 *   DEMO_WEBHOOK_SECRET=whsec_… DEMO_RECEIVER_PORT=4000 node scripts/demo_receiver.mjs
 *
 * - Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`),
 *   checked with the `standardwebhooks` package;
 * - `X-Exo-Signature: sha256=<hex HMAC-SHA256 of the raw body>`, keyed with the
 *   whole secret string, `whsec_` included.
 *
 * Answers 200 when both match, 400 otherwise.
 *
 * `POST /failing` is the demo's broken endpoint: it always answers 500 and
 * prints `✘ 500 /failing …` with the attempt number of the event, so the
 * retries, then the subscription being disabled, can be watched.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer } from 'node:http'
import { Webhook } from 'standardwebhooks'

const secret = process.env.DEMO_WEBHOOK_SECRET
const port = Number(process.env.DEMO_RECEIVER_PORT ?? 4000)

if (!secret) {
  console.error('Set DEMO_WEBHOOK_SECRET to the subscription secret (whsec_…)')
  process.exit(1)
}

const standardWebhook = new Webhook(secret)

/**
 * The reason the Standard Webhooks signature is refused, or null when it matches.
 */
function standardWebhooksError(body, headers) {
  try {
    standardWebhook.verify(body, headers)
    return null
  } catch (error) {
    return `webhook-signature: ${error.message}`
  }
}

/**
 * The reason `X-Exo-Signature` is refused, or null when it matches.
 */
function exoSignatureError(body, headers) {
  const received = Buffer.from(String(headers['x-exo-signature'] ?? ''))
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`)
  if (received.length === 0) return 'X-Exo-Signature: missing'
  return received.length === expected.length && timingSafeEqual(received, expected)
    ? null
    : 'X-Exo-Signature: no match'
}

function describe(body, headers) {
  const delivery = `(X-Exo-Delivery ${headers['x-exo-delivery'] ?? '?'})`
  try {
    const { id, event, resource, data } = JSON.parse(body)
    return `${event} ${resource} ${id} ${delivery} data=${JSON.stringify(data)}`
  } catch {
    return `${delivery} body=${body.slice(0, 200)}`
  }
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
  const chunks = []
  request.on('data', (chunk) => chunks.push(chunk))
  request.on('end', () => {
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
    const errors = [
      standardWebhooksError(body, request.headers),
      exoSignatureError(body, request.headers),
    ].filter(Boolean)

    if (errors.length === 0) {
      console.log(`✔ verified ${describe(body, request.headers)}`)
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
    } else {
      console.log(`✘ signature mismatch ${describe(body, request.headers)}: ${errors.join('; ')}`)
      response.writeHead(400, { 'content-type': 'text/plain' }).end('invalid signature')
    }
  })
})

server.listen(port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${port}/webhooks (verified) and /failing (always 500)`)
})

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.closeAllConnections()
    server.close(() => process.exit(0))
  })
}
