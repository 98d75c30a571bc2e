import { test } from '@japa/runner'
import {
  checkDestination,
  refusalReason,
  type HostLookup,
} from '../../src/delivery/destination_guard.js'

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
})
