import { test } from '@japa/runner'
import type { Group } from '@japa/runner/core'
import exo from 'adonis-exo/services/main'
import { WebhookSubscription } from 'adonis-exo'
import { subscribe } from '#tests/helpers/fixtures'
import { apiUser, deleteSubscriptions, subscriptionBody } from '#tests/helpers/api_fixtures'

const REFUSED = [
  'http://127.0.0.1/hook',
  'http://localhost/hook',
  'http://2130706433/hook',
  'http://0x7f000001/hook',
  'http://0177.0.0.1/hook',
  'http://[::1]/hook',
  'http://[::ffff:127.0.0.1]/hook',
  'http://0.0.0.0/hook',
  'http://10.1.2.3/hook',
  'http://192.168.0.10/hook',
  'http://172.20.0.1/hook',
  'http://169.254.169.254/latest/meta-data',
  'http://100.64.1.1/hook',
  'http://[fd00:ec2::254]/hook',
  'http://[fe80::1]/hook',
  'http://224.0.0.1/hook',
  // Names the app's lookup resolves to private addresses (tests/helpers/test_hosts.ts)
  'http://private.exo-ssrf.test/hook',
  'http://metadata.exo-ssrf.test/latest/meta-data',
]

/**
 * Sets a delivery option of the config for each test of `group`, and back
 * once the test's subscriptions are deleted.
 */
function withDeliveryOption(
  group: Group,
  option: 'allowPrivateNetworks' | 'requireHttps',
  value: boolean
) {
  group.each.setup(() => {
    const configured = exo.config.delivery[option]
    exo.config.delivery[option] = value
    return () => {
      exo.config.delivery[option] = configured
    }
  })
  group.each.teardown(deleteSubscriptions)
}

test.group('SSRF guard | creating or updating a subscription', (group) => {
  withDeliveryOption(group, 'allowPrivateNetworks', false)

  for (const url of REFUSED) {
    test('refuses {url}')
      .with([{ url }])
      .run(async ({ client, assert }, row) => {
        const { api } = await apiUser(client)
        const response = await api.post('/webhooks').json(subscriptionBody(row.url))
        response.assertStatus(422)
        assert.equal(response.body().errors[0].field, 'url')
        // Numeric host forms are already refused as malformed URLs
        assert.oneOf(response.body().errors[0].rule, ['publicDestination', 'url'])
      })
  }

  test('refuses an update to a private address, and a host that does not resolve', async ({
    client,
    assert,
  }) => {
    const { user, api } = await apiUser(client)
    const subscription = await subscribe(user, 'http://93.184.216.34/hook')
    const update = await api
      .patch(`/webhooks/${subscription.id}`)
      .json({ url: 'http://127.0.0.1:3333/' })
    update.assertStatus(422)
    assert.equal(update.body().errors[0].rule, 'publicDestination')

    const unresolvable = await api
      .post('/webhooks')
      .json(subscriptionBody('http://no-such-host.invalid/'))
    unresolvable.assertStatus(422)
    assert.equal(unresolvable.body().errors[0].rule, 'resolvable')
  })
})

test.group('requireHttps', (group) => {
  withDeliveryOption(group, 'requireHttps', true)

  test('refuses plain HTTP URLs on create and update, and accepts HTTPS', async ({
    client,
    assert,
  }) => {
    const { api } = await apiUser(client)
    const plain = await api.post('/webhooks').json(subscriptionBody('http://127.0.0.1:9/hook'))
    plain.assertStatus(422)
    assert.equal(plain.body().errors[0].field, 'url')
    assert.match(plain.body().errors[0].message, /HTTPS/i)

    const secure = await api.post('/webhooks').json(subscriptionBody('https://127.0.0.1:9/hook'))
    secure.assertStatus(201)

    const downgrade = await api
      .patch(`/webhooks/${secure.body().id}`)
      .json({ url: 'http://127.0.0.1:9/hook' })
    downgrade.assertStatus(422)
    assert.equal(downgrade.body().errors[0].field, 'url')
    const kept = await WebhookSubscription.findOrFail(secure.body().id)
    assert.equal(kept.url, 'https://127.0.0.1:9/hook')
  })
})
