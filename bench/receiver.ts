/**
 * The loopback webhook receiver both sides of the benchmark post to, in a
 * process of its own so that its timing does not share an event loop with
 * the producer. It answers 200 over keep-alive connections and notes, for
 * each request, the `data.id` of the body and when it arrived on the
 * machine's monotonic clock (comparable between processes). Requests to
 * `/held` wait for a `release` while holding is on. A second server, on a
 * port of its own, never answers: a receiver that hangs until the sender
 * gives up. Driven over IPC by bench/processes.ts.
 */
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { monotonicMs } from './clock.js'
import type { ReceiverCommand, ReceiverReply } from './processes.js'

let ids: number[] = []
let times: number[] = []
let expected = Number.POSITIVE_INFINITY
let holding = false
const held: ServerResponse[] = []

function reply(message: ReceiverReply) {
  process.send!(message)
}

const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    const at = monotonicMs()
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    ids.push(Number(body.data?.id))
    times.push(at)
    if (holding && request.url === '/held') held.push(response)
    else response.end('ok')
    if (ids.length === expected) reply({ type: 'reached', at })
  })
})

process.on('message', (command: ReceiverCommand) => {
  switch (command.type) {
    case 'expect':
      ids = []
      times = []
      expected = command.count
      return reply({ type: 'done' })
    case 'hold':
      holding = true
      return reply({ type: 'done' })
    case 'release':
      holding = false
      held.splice(0).forEach((response) => response.end('ok'))
      return reply({ type: 'done' })
    case 'receipts':
      return reply({ type: 'receipts', ids, times })
    case 'hanging':
      return reply({ type: 'hanging', open: hangingOpen })
  }
})

// Each request stays open until its sender closes the connection
let hangingOpen = 0
const hanging = createServer((_request, response) => {
  hangingOpen++
  response.once('close', () => hangingOpen--)
})
const portOf = (listening: typeof server) => (listening.address() as AddressInfo).port

server.listen(Number(process.env.RECEIVER_PORT ?? 0), '127.0.0.1', () => {
  hanging.listen(0, '127.0.0.1', () => {
    reply({ type: 'listening', port: portOf(server), hangingPort: portOf(hanging) })
  })
})
process.on('disconnect', () => process.exit(0))
