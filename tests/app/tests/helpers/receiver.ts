import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Group } from '@japa/runner/core'
import { deleteSubscriptions } from '#tests/helpers/api_fixtures'

export interface ReceivedRequest {
  method: string
  headers: IncomingHttpHeaders
  body: string
  json: any
}

/**
 * A webhook receiver on loopback that keeps every request it gets and
 * answers with the status the test chooses.
 */
export async function startReceiver(
  options: { status?: number; headers?: Record<string, string> } = {}
) {
  const received: ReceivedRequest[] = []
  let status = options.status ?? 200
  let headers = options.headers ?? {}

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
      response.writeHead(status, { 'content-type': 'text/plain', 'x-receiver': 'test', ...headers })
      response.end(status < 300 ? 'ok' : 'nope')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    respondWith(next: number, nextHeaders: Record<string, string> = {}) {
      status = next
      headers = nextHeaders
    },
    /**
     * Waits until `count` requests arrived, failing after `timeout` ms.
     */
    async waitFor(count: number, timeout = 15_000) {
      const deadline = Date.now() + timeout
      while (received.length < count) {
        if (Date.now() > deadline) {
          throw new Error(`Expected ${count} deliveries, got ${received.length} in ${timeout}ms`)
        }
        await sleep(20)
      }
      return received
    },
    /**
     * Waits for the sentinel's delivery, the `count`th, so that anything sent
     * before it has had the same time to arrive, then lets stragglers land.
     */
    async settle(count: number) {
      await this.waitFor(count)
      await sleep(300)
    },
    close() {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
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
