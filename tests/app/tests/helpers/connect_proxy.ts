import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { createProxy } from 'proxy'

/**
 * A real HTTP proxy on loopback (the npm package `proxy`, a small Squid):
 * it opens CONNECT tunnels to whatever the request names and keeps the
 * target of each CONNECT it was asked for. Given `credentials`, it answers
 * 407 to any request without them in `Proxy-Authorization`. `port` reuses
 * the port of a proxy that was closed, as a proxy restarted does.
 */
export async function startConnectProxy(
  options: {
    credentials?: { username: string; password: string }
    port?: number
    cleanup?: (close: () => Promise<void>) => void
  } = {}
) {
  const connects: string[] = []
  const authorizations: (string | undefined)[] = []
  const server = createProxy(createServer())
  // Tunnels leave the HTTP server's own bookkeeping: closing ends them too
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('connect', (request: IncomingMessage) => {
    connects.push(request.url!)
    authorizations.push(request.headers['proxy-authorization'])
  })
  const { credentials } = options
  if (credentials) {
    const expected = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
    server.authenticate = (request) => request.headers['proxy-authorization'] === expected
  }
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  const proxy = {
    port,
    url: `http://127.0.0.1:${port}`,
    /** The `host:port` of every CONNECT, oldest first */
    connects,
    /** The Proxy-Authorization header of every CONNECT */
    authorizations,
    close() {
      sockets.forEach((socket) => socket.destroy())
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  options.cleanup?.(() => (server.listening ? proxy.close() : Promise.resolve()))
  return proxy
}

export type ConnectProxy = Awaited<ReturnType<typeof startConnectProxy>>
