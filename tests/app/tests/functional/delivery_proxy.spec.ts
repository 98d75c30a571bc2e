import { test } from '@japa/runner'
import type { Group } from '@japa/runner/core'
import Order from '#models/order'
import { attemptsOf, deleteSubscriptions } from '#tests/helpers/api_fixtures'
import { startConnectProxy, type ConnectProxy } from '#tests/helpers/connect_proxy'
import { createUser, subscribe, subscribedReceiver } from '#tests/helpers/fixtures'
import { verifies } from '#tests/helpers/receiver'
import { ownWorker } from '#tests/helpers/worker'

/**
 * Runs the group's tests against a worker whose config/exo.ts has
 * `delivery.proxy` (EXO_DELIVERY_PROXY) set to a real proxy on loopback,
 * with `env` on top; the run's usual worker is back afterwards.
 */
function throughProxy(group: Group, env: Record<string, string> = {}) {
  const state = {} as { proxy: ConnectProxy }
  group.setup(async () => {
    state.proxy = await startConnectProxy()
    return () => state.proxy.close()
  })
  ownWorker(group, () => ({ EXO_DELIVERY_PROXY: state.proxy.url, ...env }))
  group.each.setup(() => {
    state.proxy.connects.length = 0
  })
  group.each.teardown(deleteSubscriptions)
  return state
}

test.group('Outbound proxy | delivery.proxy', (group) => {
  const state = throughProxy(group, { EXO_BACKOFF: '0s,1s,1s,1s,1s' })

  test('events reach the receiver through the proxy’s tunnel, signed', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user, subscription } = await subscribedReceiver(cleanup)
    await Order.create({ userId: user.id, total: 1, status: 'new' })
    const [request] = await receiver.waitFor(1)

    assert.isTrue(verifies(subscription.secret, request))
    assert.equal(request.json.event, 'on_create')
    assert.include(state.proxy.connects, new URL(receiver.url).host)
    const [attempt] = await attemptsOf(subscription.id, ([first]) => first?.status === 'success')
    assert.equal(attempt.httpStatus, 200)
  })

  test('with the proxy down, the attempt fails naming it, and a retry goes through once it is back', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user, subscription } = await subscribedReceiver(cleanup)
    const { port } = state.proxy
    await state.proxy.close()
    await Order.create({ userId: user.id, total: 1, status: 'new' })

    const [failed] = await attemptsOf(subscription.id, ([first]) => first?.status === 'failed')
    assert.match(failed.error!, /^The proxy 127\.0\.0\.1:\d+ could not be reached: .*ECONNREFUSED/)
    assert.isNull(failed.httpStatus)
    state.proxy = await startConnectProxy({ port })

    const [request] = await receiver.waitFor(1)
    assert.isTrue(verifies(subscription.secret, request))
    const attempts = await attemptsOf(subscription.id, (rows) => rows.at(-1)?.status === 'success')
    assert.isAbove(attempts.length, 1)
    assert.isTrue(attempts.slice(0, -1).every((attempt) => attempt.status === 'failed'))
    assert.deepEqual(
      attempts.map((attempt) => attempt.eventId),
      attempts.map(() => failed.eventId)
    )
  })
})

test.group('Outbound proxy | the SSRF guard decides before the proxy', (group) => {
  const state = throughProxy(group, { EXO_ALLOW_PRIVATE_NETWORKS: 'false' })

  test('a private destination is refused and never asked of the proxy', async ({ assert }) => {
    const user = await createUser()
    // Names the app's lookup resolves to private addresses (tests/helpers/test_hosts.ts)
    const urls = ['http://private.exo-ssrf.test/hook', 'http://127.0.0.1:9/hook']
    const subscriptions = await Promise.all(urls.map((url) => subscribe(user, url)))
    await Order.create({ userId: user.id, total: 1, status: 'new' })

    for (const subscription of subscriptions) {
      const [attempt] = await attemptsOf(subscription.id, ([first]) => first?.status === 'failed')
      assert.match(attempt.error!, /^Refused destination/, subscription.url)
    }
    assert.deepEqual(state.proxy.connects, [])
  })
})
