import { Webhook } from 'standardwebhooks'
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { freePort } from './free_port.js'
import type { Group } from '@japa/runner/core'
import { deleteSubscriptions } from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'

export interface ReceivedRequest {
  method: string
  headers: IncomingHttpHeaders
  body: string
  json: any
}

/**
 * A webhook receiver on loopback that keeps every request it gets and
 * answers with the status (and body) the test chooses, `delayMs` later if
 * given. Given the test's `cleanup`, it closes when the test ends.
 */
export async function startReceiver(
  options: {
    status?: number
    headers?: Record<string, string>
    body?: string
    /** How long it takes to answer each request */
    delayMs?: number
    cleanup?: (close: () => Promise<void>) => void
  } = {}
) {
  const received: ReceivedRequest[] = []
  let status = options.status ?? 200
  let headers = options.headers ?? {}
  /** The answers held back while the receiver is held, in order */
  let held: (() => void)[] | null = null

  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      received.push({
        method: request.method!,
        headers: request.headers,
        body,
        json: JSON.parse(body),
      })
      const answer = () => {
        response.writeHead(status, {
          'content-type': 'text/plain',
          'x-receiver': 'test',
          ...headers,
        })
        response.end(options.body ?? (status < 300 ? 'ok' : 'nope'))
      }
      if (held) held.push(answer)
      else if (options.delayMs) setTimeout(answer, options.delayMs)
      else answer()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  const url = `http://127.0.0.1:${port}/hook`
  const receiver = {
    url,
    received,
    respondWith(next: number, nextHeaders: Record<string, string> = {}) {
      status = next
      headers = nextHeaders
    },
    /** Keeps the requests that arrive from now on waiting for their answer */
    hold() {
      held ??= []
    },
    /** Answers the requests held back, and the next ones at once */
    release() {
      const answers = held ?? []
      held = null
      answers.forEach((answer) => answer())
    },
    /**
     * Waits until `count` requests arrived, failing after `timeout` ms.
     */
    async waitFor(count: number, timeout = 15_000) {
      await eventually(
        () => received.length,
        (length) => length >= count,
        { timeout, what: `${count} deliveries to ${url}` }
      )
      return received
    },
    close() {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  options.cleanup?.(() => receiver.close())
  return receiver
}

/**
 * Starts `server` on a free loopback port, closed when the test ends;
 * resolves with its webhook URL.
 */
export async function listenOnLoopback(
  server: Server,
  cleanup: (close: () => Promise<void>) => void
) {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  cleanup(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const { port } = server.address() as AddressInfo
  return `http://127.0.0.1:${port}/hook`
}

/**
 * A loopback URL nothing listens on.
 */
export async function closedUrl() {
  return `http://127.0.0.1:${await freePort()}/hook`
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>

/**
 * A fresh receiver for each test of `group`, closed after the test along with
 * every subscription.
 */
export function receiverForEachTest(group: Group): () => Receiver {
  let receiver: Receiver
  group.each.setup(async () => {
    receiver = await startReceiver()
    return async () => {
      await deleteSubscriptions()
      await receiver.close()
    }
  })
  return () => receiver
}

/**
 * A receiver closed when the test ends.
 */
export async function receiverFor(
  cleanup: (close: () => Promise<void>) => void,
  options: Parameters<typeof startReceiver>[0] = {}
) {
  return startReceiver({ ...options, cleanup })
}

/**
 * Whether the request's Standard Webhooks signature verifies with `secret`.
 */
export function verifies(secret: string, request: ReceivedRequest) {
  try {
    new Webhook(secret).verify(request.body, request.headers as Record<string, string>)
    return true
  } catch {
    return false
  }
}
