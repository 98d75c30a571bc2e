import { test } from '@japa/runner'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  checkDestination,
  refusalReason,
  type HostLookup,
} from '../../src/delivery/destination_guard.js'
import { Sender } from '../../src/delivery/sender.js'

/**
 * A resolver that knows only these names, as split-horizon DNS would: every
 * other is ENOTFOUND.
 */
function hostTable(names: Record<string, string[]>): HostLookup {
  return (hostname, _options, callback) => {
    const addresses = names[hostname]
    if (!addresses) {
      return callback(Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), [])
    }
    callback(
      null,
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
    )
  }
}

/**
 * A loopback server counting the requests it answers, closed when the test ends.
 */
async function countingServer(cleanup: (close: () => Promise<void>) => void) {
  const counter = { hits: 0, port: 0 }
  const server = createServer((_, response) => {
    counter.hits++
    response.end('ok')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup(() => new Promise((resolve) => server.close(() => resolve())))
  counter.port = (server.address() as AddressInfo).port
  return counter
}

const refused = [
  '127.0.0.1',
  '127.1.2.3',
  '0.0.0.0',
  '10.0.0.1',
  '172.16.5.4',
  '192.168.1.1',
  '169.254.169.254',
  '100.64.0.1',
  '224.0.0.1',
  '255.255.255.255',
  '::1',
  '::',
  'fe80::1',
  'fc00::1',
  'fd00:ec2::254',
  '::ffff:127.0.0.1',
  '::ffff:169.254.169.254',
  'ff02::1',
  '::7f00:1',
  '::a9fe:a9fe',
  '4000::1',
]

test.group('Destination guard', () => {
  for (const address of refused) {
    test('refuses {address}')
      .with([{ address }])
      .run(({ assert }, row) => {
        assert.isString(refusalReason(row.address))
      })
  }

  test('allows public unicast addresses', ({ assert }) => {
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111']) {
      assert.isNull(refusalReason(address), address)
    }
  })

  test('refuses decimal, octal and hex forms of loopback once the URL is parsed', async ({
    assert,
  }) => {
    for (const url of [
      'http://2130706433/',
      'http://0177.0.0.1/',
      'http://0x7f.0.0.1/',
      'http://[::1]/',
    ]) {
      await assert.rejects(() => checkDestination(new URL(url)), /Refused destination/)
    }
  })

  test('refuses a host name that resolves to loopback', async ({ assert }) => {
    await assert.rejects(
      () => checkDestination(new URL('http://localhost/')),
      /Refused destination/
    )
  })

  test('the sender refuses loopback receivers unless private networks are allowed', async ({
    assert,
    cleanup,
  }) => {
    const server = await countingServer(cleanup)
    const request = { headers: {}, body: '{}' }

    for (const host of ['127.0.0.1', 'localhost']) {
      const guarded = new Sender(1000, false)
      const result = await guarded.send({ ...request, url: `http://${host}:${server.port}/` })
      await guarded.close()
      assert.match(result.error!, /Refused destination/)
      assert.isNull(result.httpStatus)
    }
    assert.equal(server.hits, 0)

    const open = new Sender(1000, true)
    const result = await open.send({ ...request, url: `http://localhost:${server.port}/` })
    await open.close()
    assert.equal(result.httpStatus, 200)
    assert.equal(server.hits, 1)
  })

  test('a lookup of the app resolves names at check time, the guard judging its answers', async ({
    assert,
  }) => {
    const lookup = hostTable({
      'public.example': ['93.184.216.34'],
      'internal.example': ['10.1.2.3'],
      'split.example': ['93.184.216.34', '169.254.169.254'],
    })
    await checkDestination(new URL('http://public.example/'), lookup)
    await assert.rejects(
      () => checkDestination(new URL('http://internal.example/'), lookup),
      /Refused destination: internal\.example: 10\.1\.2\.3 is in the private range/
    )
    await assert.rejects(
      () => checkDestination(new URL('http://split.example/'), lookup),
      /Refused destination: split\.example: 169\.254\.169\.254/
    )
    // Names it does not know fail as they would with dns.lookup: localhost is not asked of the system
    await assert.rejects(() => checkDestination(new URL('http://localhost/'), lookup), /ENOTFOUND/)
    const silent: HostLookup = (_hostname, _options, callback) => callback(null, [])
    await assert.rejects(() => checkDestination(new URL('http://x.example/'), silent), /ENOTFOUND/)
  })

  test('the sender connects where the lookup of the app says, refused unless private networks are allowed', async ({
    assert,
    cleanup,
  }) => {
    const server = await countingServer(cleanup)
    const lookup = hostTable({ 'hooks.example': ['127.0.0.1'] })
    const request = { headers: {}, body: '{}', url: `http://hooks.example:${server.port}/` }

    const guarded = new Sender(1000, false, lookup)
    const refusal = await guarded.send(request)
    await guarded.close()
    assert.match(refusal.error!, /Refused destination: hooks\.example: 127\.0\.0\.1/)
    assert.equal(server.hits, 0)

    const open = new Sender(1000, true, lookup)
    const result = await open.send(request)
    await open.close()
    assert.equal(result.httpStatus, 200, 'resolved by the lookup, not by the system')
    assert.equal(server.hits, 1)

    const unknown = new Sender(1000, true, lookup)
    const failed = await unknown.send({ ...request, url: `http://other.example:${server.port}/` })
    await unknown.close()
    assert.match(failed.error!, /ENOTFOUND/)
  })
})
