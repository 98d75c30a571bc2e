import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from '@japa/runner'
import exo from 'adonis-exo/services/main'
import { WebhookSubscription } from 'adonis-exo'
import env from '#start/env'
import Note from '#models/note'
import Order from '#models/order'
import { apiPath } from '#tests/helpers/api'
import { apiUser, attemptsOf, deleteSubscriptions } from '#tests/helpers/api_fixtures'
import { createUser } from '#tests/helpers/fixtures'
import { TEST_HOSTS } from '#tests/helpers/test_hosts'
import { runningWorker, startWorker, type Worker } from '#tests/helpers/worker'

/**
 * Every form of a destination the guard refuses. `PORT` is a trap server
 * listening on every loopback address: it must never see a request.
 */
const DESTINATIONS = [
  'http://127.0.0.1:PORT/',
  'http://127.1.2.3:PORT/',
  'http://127.1:PORT/',
  'http://2130706433:PORT/',
  'http://0177.0.0.1:PORT/',
  'http://0x7f000001:PORT/',
  'http://0x7f.0x0.0x0.0x1:PORT/',
  'http://[::1]:PORT/',
  'http://[::ffff:127.0.0.1]:PORT/',
  'http://[::ffff:7f00:1]:PORT/',
  'http://[0:0:0:0:0:ffff:127.0.0.1]:PORT/',
  'http://[::127.0.0.1]:PORT/',
  'http://0.0.0.0:PORT/',
  'http://0:PORT/',
  'http://[::]:PORT/',
  'http://localhost:PORT/',
  'http://LocalHost:PORT/',
  'http://10.0.0.1/',
  'http://172.16.0.1/',
  'http://172.31.255.254/',
  'http://192.168.1.1/',
  'http://169.254.169.254/latest/meta-data/',
  'http://2852039166/latest/meta-data/',
  'http://[::ffff:169.254.169.254]/',
  'http://[fd00:ec2::254]/',
  'http://100.64.0.1/',
  'http://100.127.255.254/',
  'http://198.18.0.1/',
  'http://224.0.0.1/',
  'http://255.255.255.255/',
  'http://[fe80::1]/',
  'http://[fc00::1]/',
  'http://[ff02::1]/',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://[2002:7f00:1::]/',
  // Names the app's lookup resolves to such addresses (config/exo.ts)
  ...Object.keys(TEST_HOSTS).map((name) =>
    TEST_HOSTS[name].includes('127.0.0.1') || TEST_HOSTS[name] === '::1'
      ? `http://${name}:PORT/`
      : `http://${name}/`
  ),
]

async function trapServer() {
  const hits: string[] = []
  const server = createServer((request, response) => {
    hits.push(`${request.headers.host}${request.url}`)
    response.end('ok')
  })
  await new Promise<void>((resolve) => server.listen(0, '::', resolve))
  const port = (server.address() as AddressInfo).port
  const close = () => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return { hits, port, close }
}

test.group('Security | SSRF matrix, guard on', (group) => {
  let trap: Awaited<ReturnType<typeof trapServer>>
  const workers: Worker[] = []

  group.setup(async () => {
    trap = await trapServer()
    exo.config.delivery.allowPrivateNetworks = false
    const queue = env.get('EXO_QUEUE', 'exo-webhooks')
    await runningWorker.current!.stop()
    // Notes' attempts go to a worker with the guard on; orders' to one without
    workers.push(await startWorker({ queues: [queue] }))
    workers.push(
      await startWorker({
        queues: [Note.webhookQueue!],
        env: { EXO_ALLOW_PRIVATE_NETWORKS: 'false' },
      })
    )
    return async () => {
      exo.config.delivery.allowPrivateNetworks = true
      await Promise.all(workers.map((worker) => worker.stop()))
      await startWorker()
      await trap.close()
    }
  })
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('at least 30 forms are refused when a subscription is created', async ({
    client,
    assert,
  }) => {
    assert.isAtLeast(DESTINATIONS.length, 30)
    const { token } = await apiUser(client)
    for (const destination of DESTINATIONS) {
      const url = destination.replace('PORT', String(trap.port))
      const response = await client
        .post(await apiPath('/webhooks'))
        .bearerToken(token)
        .json({ name: 'ssrf', url, resource: 'order', events: ['on_create'] })
      assert.equal(response.status(), 422, url)
      assert.equal(response.body().errors[0].field, 'url', url)
      // Every name resolves (the system's localhost, the app's test hosts): none is merely unknown
      assert.oneOf(response.body().errors[0].rule, ['publicDestination', 'url'], url)
    }
    assert.deepEqual(trap.hits, [])
  })

  test('each form is refused again at send time, and no request leaves', async ({ assert }) => {
    // As if every name had resolved to a public address when the hooks were saved
    const admin = await createUser({ isAdmin: true })
    const subscriptions = await WebhookSubscription.createMany(
      DESTINATIONS.map((destination) => ({
        userId: admin.id,
        name: destination,
        url: destination.replace('PORT', String(trap.port)),
        resource: 'note',
        events: ['on_delete' as const],
      }))
    )
    const note = await Note.create({ body: 'ssrf' })
    await note.delete()

    for (const subscription of subscriptions) {
      const [first] = await attemptsOf(subscription.id, (attempts) =>
        attempts.some((attempt) => attempt.attempt === 1 && attempt.status !== 'pending')
      )
      assert.equal(first.status, 'failed', subscription.url)
      assert.isNull(first.httpStatus, subscription.url)
      assert.match(first.error!, /^Refused destination/, subscription.url)
    }
    assert.deepEqual(trap.hits, [], 'the trap on loopback got no request')
  }).timeout(120_000)

  test('a receiver redirecting to the metadata address is a failure, never followed', async ({
    assert,
  }) => {
    // The orders' worker allows private networks, so the loopback receiver is reached
    const receiver = createServer((_, response) => {
      response.writeHead(302, { location: `http://169.254.169.254/latest/meta-data/` }).end()
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    const port = (receiver.address() as AddressInfo).port
    const user = await createUser()
    const subscription = await WebhookSubscription.create({
      userId: user.id,
      name: 'redirects',
      url: `http://127.0.0.1:${port}/hook`,
      resource: 'order',
      events: ['on_create'],
    })
    await Order.create({ userId: user.id, total: 1, status: 'new' })
    const [first] = await attemptsOf(subscription.id, (attempts) =>
      attempts.some((attempt) => attempt.attempt === 1 && attempt.status !== 'pending')
    )
    receiver.close()
    assert.equal(first.status, 'failed')
    assert.equal(first.httpStatus, 302)
    assert.equal(first.responseHeaders?.location, 'http://169.254.169.254/latest/meta-data/')
  })
})
