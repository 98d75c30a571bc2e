import { createServer, type AddressInfo } from 'node:net'

/**
 * A loopback port free at the time of the call: bound, then released.
 */
export async function freePort() {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
