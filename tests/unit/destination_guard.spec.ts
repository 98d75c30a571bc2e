import { test } from '@japa/runner'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { checkDestination, refusalReason } from '../../src/delivery/destination_guard.js'
import { Sender } from '../../src/delivery/sender.js'

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
    let hits = 0
    const server = createServer((_, response) => {
      hits++
      response.end('ok')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanup(() => new Promise((resolve) => server.close(() => resolve())))
    const port = (server.address() as AddressInfo).port
    const request = { headers: {}, body: '{}' }

    for (const host of ['127.0.0.1', 'localhost']) {
      const guarded = new Sender(1000, false)
      const result = await guarded.send({ ...request, url: `http://${host}:${port}/` })
      await guarded.close()
      assert.match(result.error!, /Refused destination/)
      assert.isNull(result.httpStatus)
    }
    assert.equal(hits, 0)

    const open = new Sender(1000, true)
    const result = await open.send({ ...request, url: `http://localhost:${port}/` })
    await open.close()
    assert.equal(result.httpStatus, 200)
    assert.equal(hits, 1)
  })
})
