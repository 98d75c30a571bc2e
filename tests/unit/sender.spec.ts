import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import { test } from '@japa/runner'
import type { TestContext } from '@japa/runner/core'
import type { HostLookup } from '../../src/delivery/destination_guard.js'
import { RESPONSE_BODY_LIMIT, Sender } from '../../src/delivery/sender.js'
import { startConnectProxy } from '../app/tests/helpers/connect_proxy.js'

type Cleanup = TestContext['cleanup']

interface ReceivedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
}

/**
 * A loopback receiver that answers each request as `answer` says, counting
 * the connections made to it and keeping the requests; closed when the test
 * ends.
 */
async function receiver(
  cleanup: Cleanup,
  answer: (response: ServerResponse, path: string) => void = (response) => response.end('ok')
) {
  const waiters: (() => void)[] = []
  const seen = {
    connections: 0,
    requests: [] as ReceivedRequest[],
    port: 0,
    /** Resolves once a request has arrived */
    firstRequest: () =>
      new Promise<void>((resolve) =>
        seen.requests.length > 0 ? resolve() : waiters.push(resolve)
      ),
  }
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk) => chunks.push(chunk))
    request.on('end', () => {
      const path = request.url!
      seen.requests.push({
        method: request.method!,
        path,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      })
      waiters.splice(0).forEach((resolve) => resolve())
      answer(response, path)
    })
  })
  server.on('connection', () => seen.connections++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  seen.port = (server.address() as AddressInfo).port
  cleanup(() => {
    server.closeAllConnections()
    return new Promise((resolve) => server.close(() => resolve()))
  })
  return seen
}

/** A sender closed when the test ends */
function sender(cleanup: Cleanup, ...options: ConstructorParameters<typeof Sender>) {
  const created = new Sender(...options)
  cleanup(() => created.close())
  return created
}

/**
 * A resolver that knows one name, as split-horizon DNS would; every other
 * name is ENOTFOUND.
 */
function resolving(name: string, address: string): HostLookup {
  return (hostname, _options, callback) => {
    if (hostname === name) return callback(null, [{ address, family: 4 }])
    callback(
      Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }),
      []
    )
  }
}

const webhook = { headers: { 'content-type': 'application/json' }, body: '{"type":"order.paid"}' }

test.group('Sender', () => {
  test('a 2xx answer gives its status, headers and body', async ({ assert, cleanup }) => {
    const server = await receiver(cleanup, (response) => {
      response.writeHead(202, { 'x-receiver': 'test' }).end('queued')
    })
    const result = await sender(cleanup, 1000, true).send({
      url: `http://127.0.0.1:${server.port}/hooks?source=exo`,
      headers: { ...webhook.headers, 'webhook-id': 'msg_1' },
      body: webhook.body,
    })

    assert.equal(result.httpStatus, 202)
    assert.equal(result.responseHeaders!['x-receiver'], 'test')
    assert.equal(result.responseBody, 'queued')
    assert.isNull(result.error)
    const [request] = server.requests
    assert.equal(request.method, 'POST')
    assert.equal(request.path, '/hooks?source=exo')
    assert.equal(request.headers['webhook-id'], 'msg_1')
    assert.equal(request.body, webhook.body)
  })

  test('a receiver that never answers gives an error once the timeout has passed', async ({
    assert,
    cleanup,
  }) => {
    const server = await receiver(cleanup, () => {})
    const result = await sender(cleanup, 200, true).send({
      ...webhook,
      url: `http://127.0.0.1:${server.port}/`,
    })

    assert.match(result.error!, /Timed out after 200ms/)
    assert.isNull(result.httpStatus)
    assert.isNull(result.responseBody)
  })

  test('interrupted, the requests under way and those still to connect resolve at once', async ({
    assert,
    cleanup,
  }) => {
    const server = await receiver(cleanup, () => {})
    const interruptible = sender(cleanup, 60_000, true)
    const url = `http://127.0.0.1:${server.port}/`
    const underWay = interruptible.send({ ...webhook, url })
    // A receiver gets a worker's requests a few at a time: the last ones wait for a connection
    const waiting = Array.from({ length: 30 }, () => interruptible.send({ ...webhook, url }))
    await server.firstRequest()

    interruptible.interrupt()
    const results = await Promise.all([underWay, ...waiting])
    for (const result of results) {
      assert.isTrue(result.interrupted)
      assert.isNull(result.httpStatus)
      assert.match(result.error!, /stopped before the receiver answered/)
    }
    assert.isBelow(server.requests.length, results.length, 'the waiting ones were never sent')
  })

  test('a redirect is the answer, not followed', async ({ assert, cleanup }) => {
    const server = await receiver(cleanup, (response, path) => {
      if (path === '/old') response.writeHead(307, { location: '/new' }).end()
      else response.end('ok')
    })
    const result = await sender(cleanup, 1000, true).send({
      ...webhook,
      url: `http://127.0.0.1:${server.port}/old`,
    })

    assert.equal(result.httpStatus, 307)
    assert.equal(result.responseHeaders!.location, '/new')
    assert.deepEqual(
      server.requests.map((request) => request.path),
      ['/old']
    )
  })

  test('a response body is kept up to the limit', async ({ assert, cleanup }) => {
    const part = 40 * 1024
    const server = await receiver(cleanup, (response) => {
      for (const letter of ['a', 'b']) response.write(letter.repeat(part))
      response.end('c'.repeat(part))
    })
    const result = await sender(cleanup, 1000, true).send({
      ...webhook,
      url: `http://127.0.0.1:${server.port}/`,
    })

    assert.equal(result.httpStatus, 200)
    assert.lengthOf(result.responseBody!, RESPONSE_BODY_LIMIT)
    assert.isTrue(
      result.responseBody === 'a'.repeat(part) + 'b'.repeat(RESPONSE_BODY_LIMIT - part),
      'the first bytes of the body'
    )
  })

  test('loopback is refused unless private networks are allowed, before any connection', async ({
    assert,
    cleanup,
  }) => {
    const server = await receiver(cleanup)
    const guarded = sender(cleanup, 1000, false)

    for (const host of ['127.0.0.1', 'localhost']) {
      const result = await guarded.send({ ...webhook, url: `http://${host}:${server.port}/` })
      assert.match(result.error!, /Refused destination/, host)
      assert.isNull(result.httpStatus)
    }
    const allowed = await sender(cleanup, 1000, true).send({
      ...webhook,
      url: `http://127.0.0.1:${server.port}/`,
    })

    assert.equal(allowed.httpStatus, 200)
    // Connections are accepted in order: none came before the allowed one
    assert.equal(server.connections, 1)
  })

  test('host names resolve through the lookup given, whose answers are judged too', async ({
    assert,
    cleanup,
  }) => {
    const server = await receiver(cleanup)
    const lookup = resolving('hooks.example', '127.0.0.1')
    const request = { ...webhook, url: `http://hooks.example:${server.port}/` }

    const refusal = await sender(cleanup, 1000, false, lookup).send(request)
    assert.match(refusal.error!, /Refused destination: hooks\.example: 127\.0\.0\.1/)
    assert.equal(server.connections, 0)

    const open = sender(cleanup, 1000, true, lookup)
    const result = await open.send(request)
    assert.equal(result.httpStatus, 200, 'resolved by the lookup, not by the system')
    assert.equal(server.requests[0].headers.host, `hooks.example:${server.port}`)
    assert.equal(server.connections, 1)

    const unknown = await open.send({ ...request, url: `http://other.example:${server.port}/` })
    assert.match(unknown.error!, /ENOTFOUND/)
  })
})

test.group('Sender | through a proxy', () => {
  test('a request goes through the proxy’s CONNECT tunnel; the answer is the receiver’s', async ({
    assert,
    cleanup,
  }) => {
    const server = await receiver(cleanup, (response, path) => {
      if (path === '/old') return response.writeHead(307, { location: '/new' }).end()
      response.writeHead(202, { 'x-receiver': 'test' }).end('x'.repeat(RESPONSE_BODY_LIMIT + 10))
    })
    const proxy = await startConnectProxy({ cleanup })
    const proxied = sender(cleanup, 1000, true, undefined, proxy.url)

    const result = await proxied.send({ ...webhook, url: `http://127.0.0.1:${server.port}/hooks` })
    assert.equal(result.httpStatus, 202)
    assert.equal(result.responseHeaders!['x-receiver'], 'test')
    assert.lengthOf(result.responseBody!, RESPONSE_BODY_LIMIT)
    assert.deepEqual(proxy.connects, [`127.0.0.1:${server.port}`])
    assert.equal(server.requests[0].body, webhook.body)
    assert.notProperty(server.requests[0].headers, 'proxy-authorization')

    const redirect = await proxied.send({ ...webhook, url: `http://127.0.0.1:${server.port}/old` })
    assert.equal(redirect.httpStatus, 307, 'not followed')
    assert.deepEqual(
      server.requests.map((request) => request.path),
      ['/hooks', '/old']
    )
  })

  test('the proxy URL’s credentials go to the proxy alone', async ({ assert, cleanup }) => {
    const server = await receiver(cleanup)
    const credentials = { username: 'egress', password: 's3cret:pass' }
    const proxy = await startConnectProxy({ cleanup, credentials })
    const url = `http://127.0.0.1:${server.port}/`

    const unauthenticated = await sender(cleanup, 1000, true, undefined, proxy.url).send({
      ...webhook,
      url,
    })
    assert.match(unauthenticated.error!, /407/)
    assert.lengthOf(server.requests, 0)

    const proxyUrl = `http://egress:${encodeURIComponent(credentials.password)}@127.0.0.1:${proxy.port}`
    const result = await sender(cleanup, 1000, true, undefined, proxyUrl).send({ ...webhook, url })
    assert.equal(result.httpStatus, 200)
    assert.notProperty(server.requests[0].headers, 'proxy-authorization')
  })

  test('a refused destination is refused before the proxy is asked; the proxy’s own address may be private', async ({
    assert,
    cleanup,
  }) => {
    // The proxy answers 407 to everything: a request it is asked for never leaves it
    const proxy = await startConnectProxy({
      cleanup,
      credentials: { username: 'nobody', password: 'never-sent' },
    })
    const privateName = sender(
      cleanup,
      1000,
      false,
      resolving('hooks.example', '10.1.2.3'),
      proxy.url
    )
    for (const url of ['http://hooks.example/', 'http://127.0.0.1:9/', 'http://[::1]/']) {
      const refused = await privateName.send({ ...webhook, url })
      assert.match(refused.error!, /^Refused destination/, url)
    }
    const unknown = await privateName.send({ ...webhook, url: 'http://other.example/' })
    assert.match(unknown.error!, /ENOTFOUND/)
    assert.deepEqual(proxy.connects, [])

    const publicName = sender(
      cleanup,
      1000,
      false,
      resolving('hooks.example', '93.184.216.34'),
      proxy.url
    )
    const asked = await publicName.send({ ...webhook, url: 'https://hooks.example/' })
    assert.match(asked.error!, /407/)
    assert.deepEqual(proxy.connects, ['hooks.example:443'])
  })

  test('a proxy down, or one that never answers, fails the request, naming the proxy', async ({
    assert,
    cleanup,
  }) => {
    const closed = await startConnectProxy()
    await closed.close()
    const down = await sender(cleanup, 1000, true, undefined, closed.url).send({
      ...webhook,
      url: 'http://127.0.0.1:9/',
    })
    assert.match(down.error!, /^The proxy 127\.0\.0\.1:\d+ could not be reached: .*ECONNREFUSED/)

    // A proxy that takes the connection and never answers CONNECT
    const sockets: Socket[] = []
    const silent = createNetServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    cleanup(() => {
      sockets.forEach((socket) => socket.destroy())
      return new Promise((resolve) => silent.close(() => resolve()))
    })
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`
    const unanswered = await sender(cleanup, 300, true, undefined, silentUrl).send({
      ...webhook,
      url: 'http://127.0.0.1:9/',
    })
    assert.match(unanswered.error!, /^The proxy 127\.0\.0\.1:\d+ could not be reached/)
  })

  test('a receiver that hangs behind the proxy times out; interrupted, it resolves at once', async ({
    assert,
    cleanup,
  }) => {
    const server = await receiver(cleanup, () => {})
    const proxy = await startConnectProxy({ cleanup })
    const url = `http://127.0.0.1:${server.port}/`

    const timedOut = await sender(cleanup, 200, true, undefined, proxy.url).send({
      ...webhook,
      url,
    })
    assert.match(timedOut.error!, /Timed out after 200ms/)

    const hanging = await receiver(cleanup, () => {})
    const interruptible = sender(cleanup, 60_000, true, undefined, proxy.url)
    const underWay = interruptible.send({ ...webhook, url: `http://127.0.0.1:${hanging.port}/` })
    await hanging.firstRequest()
    interruptible.interrupt()
    const result = await underWay
    assert.isTrue(result.interrupted)
  })
})
