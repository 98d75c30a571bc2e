import { test } from '@japa/runner'
import exo from 'adonis-exo/services/main'
import { WebhookSubscription } from 'adonis-exo'
import { createUser } from '#tests/helpers/fixtures'
import { apiPath, tokenFor } from '#tests/helpers/api'
import { deleteSubscriptions } from '#tests/helpers/api_fixtures'

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
]

test.group('SSRF guard | creating or updating a subscription', (group) => {
  group.each.setup(() => {
    exo.config.delivery.allowPrivateNetworks = false
    return () => {
      exo.config.delivery.allowPrivateNetworks = true
    }
  })
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  for (const url of REFUSED) {
    test('refuses {url}')
      .with([{ url }])
      .run(async ({ client, assert }, row) => {
        const user = await createUser()
        const { value } = await tokenFor(user)
        const response = await client
          .post(await apiPath('/webhooks'))
          .bearerToken(value)
          .json({ name: 'x', url: row.url, resource: 'order', events: ['on_create'] })
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
    const user = await createUser()
    const { value } = await tokenFor(user)
    const subscription = await WebhookSubscription.create({
      userId: user.id,
      name: 'x',
      url: 'http://93.184.216.34/hook',
      resource: 'order',
      events: ['on_create'],
    })
    const update = await client
      .patch(await apiPath(`/webhooks/${subscription.id}`))
      .bearerToken(value)
      .json({ url: 'http://127.0.0.1:3333/' })
    update.assertStatus(422)
    assert.equal(update.body().errors[0].rule, 'publicDestination')

    const unresolvable = await client
      .post(await apiPath('/webhooks'))
      .bearerToken(value)
      .json({
        name: 'x',
        url: 'http://no-such-host.invalid/',
        resource: 'order',
        events: ['on_create'],
      })
    unresolvable.assertStatus(422)
    assert.equal(unresolvable.body().errors[0].rule, 'resolvable')
  })
})

test.group('requireHttps', (group) => {
  group.each.setup(() => {
    exo.config.delivery.requireHttps = true
    return () => {
      exo.config.delivery.requireHttps = false
    }
  })
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('refuses plain HTTP URLs on create and update, and accepts HTTPS', async ({
    client,
    assert,
  }) => {
    const user = await createUser()
    const { value } = await tokenFor(user)
    const body = { name: 'x', resource: 'order', events: ['on_create'] }
    const plain = await client
      .post(await apiPath('/webhooks'))
      .bearerToken(value)
      .json({ ...body, url: 'http://127.0.0.1:9/hook' })
    plain.assertStatus(422)
    assert.equal(plain.body().errors[0].field, 'url')
    assert.match(plain.body().errors[0].message, /HTTPS/i)

    const secure = await client
      .post(await apiPath('/webhooks'))
      .bearerToken(value)
      .json({ ...body, url: 'https://127.0.0.1:9/hook' })
    secure.assertStatus(201)

    const downgrade = await client
      .patch(await apiPath(`/webhooks/${secure.body().id}`))
      .bearerToken(value)
      .json({ url: 'http://127.0.0.1:9/hook' })
    downgrade.assertStatus(422)
    assert.equal(downgrade.body().errors[0].field, 'url')
    const kept = await WebhookSubscription.findOrFail(secure.body().id)
    assert.equal(kept.url, 'https://127.0.0.1:9/hook')
  })
})
