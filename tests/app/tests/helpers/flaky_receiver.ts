import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Receipt {
  eventId: string
  deliveryId: string
  orderId: number
  answered: number
}

/**
 * A receiver that answers 500 to a share of requests at random and can go
 * down and come back on the same port, keeping a receipt of every request.
 */
export async function startFlakyReceiver(failureRate: number, random: () => number) {
  const receipts: Receipt[] = []
  let server: Server
  let port = 0

  const listen = async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        const answered = random() < failureRate ? 500 : 200
        receipts.push({
          eventId: String(request.headers['webhook-id']),
          deliveryId: String(request.headers['x-exo-delivery']),
          orderId: JSON.parse(Buffer.concat(chunks).toString()).data.id,
          answered,
        })
        response.writeHead(answered).end()
      })
    })
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  }
  await listen()

  const stop = () => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return { url: () => `http://127.0.0.1:${port}/hook`, receipts, stop, start: listen }
}

export type FlakyReceiver = Awaited<ReturnType<typeof startFlakyReceiver>>
