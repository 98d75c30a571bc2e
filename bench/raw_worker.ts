/**
 * The raw baseline: what a webhook sender without Exo does with the same
 * stack. A BullMQ worker that, for each job, builds the body, signs it with
 * one HMAC-SHA256 and POSTs it over a keep-alive agent to the receiver. No
 * database, no activity log, no retries of its own beyond BullMQ's.
 */
import { createHmac } from 'node:crypto'
import http from 'node:http'
import { Worker } from 'bullmq'

const url = new URL(process.env.RECEIVER_URL!)
const secret = process.env.RAW_SECRET!
const agent = new http.Agent({ keepAlive: true })

function post(body: string, signature: string) {
  return new Promise<void>((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      agent,
      headers: {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
        'X-Signature': `sha256=${signature}`,
      },
    })
    request.on('error', reject)
    request.on('response', (response) => {
      response.resume()
      response.on('end', () =>
        response.statusCode! < 300 ? resolve() : reject(new Error(`HTTP ${response.statusCode}`))
      )
    })
    request.end(body)
  })
}

const worker = new Worker(
  process.env.RAW_QUEUE!,
  async (job) => {
    const body = JSON.stringify({
      id: job.id,
      event: 'on_create',
      resource: 'order',
      data: job.data,
      timestamp: new Date().toISOString(),
    })
    await post(body, createHmac('sha256', secret).update(body).digest('hex'))
  },
  {
    connection: { host: '127.0.0.1', port: Number(process.env.QUEUE_REDIS_PORT) },
    concurrency: Number(process.env.QUEUE_CONCURRENCY),
  }
)
worker.on('error', () => {})

process.on('SIGTERM', async () => {
  await worker.close(true)
  process.exit(0)
})
