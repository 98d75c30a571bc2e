import { createHmac } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from '@japa/runner'
import { WebhookSubscription } from 'adonis-exo'
import Order from '#models/order'
import type User from '#models/user'
import { apiPath } from '#tests/helpers/api'
import { apiUser, deleteSubscriptions, subscriptionBody } from '#tests/helpers/api_fixtures'
import { startReceiver, verifies } from '#tests/helpers/receiver'

function exoSignature(secret: string, body: string) {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

test.group('API | POST /webhooks/:id/rotate-secret', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  async function subscribed(client: any, url: string) {
    const { user, token } = await apiUser()
    const response = await client
      .post(await apiPath('/webhooks'))
      .bearerToken(token)
      .json(subscriptionBody(url))
    response.assertStatus(201)
    const { id, secret } = response.body()
    return { user: user as User, token, id: id as number, secret: secret as string }
  }

  test('answers {secret}, a new secret, and masks it from then on', async ({ client, assert }) => {
    const { token, id, secret: old } = await subscribed(client, 'https://example.com/hook')

    const response = await client
      .post(await apiPath(`/webhooks/${id}/rotate-secret`))
      .bearerToken(token)
    response.assertStatus(200)
    assert.deepEqual(Object.keys(response.body()), ['secret'])
    const secret = response.body().secret
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
    assert.notEqual(secret, old)

    const shown = await client.get(await apiPath(`/webhooks/${id}`)).bearerToken(token)
    assert.equal(shown.body().masked_secret, `whsec_****${secret.slice(-4)}`)
    const stored = await WebhookSubscription.findOrFail(id)
    assert.equal(stored.secret, secret)
  })

  test('without a grace period the next delivery verifies with the new secret only', async ({
    client,
    assert,
    cleanup,
  }) => {
    const receiver = await startReceiver()
    cleanup(() => receiver.close())
    const { user, token, id, secret: old } = await subscribed(client, receiver.url)

    const rotated = await client
      .post(await apiPath(`/webhooks/${id}/rotate-secret`))
      .bearerToken(token)
      .json({})
    const secret = rotated.body().secret

    await Order.create({ userId: user.id, total: 1, status: 'new' })
    const [request] = await receiver.waitFor(1)

    assert.isTrue(verifies(secret, request))
    assert.isFalse(verifies(old, request))
    assert.notInclude(String(request.headers['webhook-signature']), ' ')
    assert.equal(request.headers['x-exo-signature'], exoSignature(secret, request.body))
  })

  test('with a grace period the delivery carries both signatures', async ({
    client,
    assert,
    cleanup,
  }) => {
    const receiver = await startReceiver()
    cleanup(() => receiver.close())
    const { user, token, id, secret: old } = await subscribed(client, receiver.url)

    const rotated = await client
      .post(await apiPath(`/webhooks/${id}/rotate-secret`))
      .bearerToken(token)
      .json({ grace_period: 3600 })
    rotated.assertStatus(200)
    const secret = rotated.body().secret

    await Order.create({ userId: user.id, total: 1, status: 'new' })
    const [request] = await receiver.waitFor(1)

    const signatures = String(request.headers['webhook-signature']).split(' ')
    assert.lengthOf(signatures, 2)
    for (const signature of signatures) assert.match(signature, /^v1,[A-Za-z0-9+/]+={0,2}$/)
    assert.isTrue(verifies(secret, request))
    assert.isTrue(verifies(old, request))
    assert.equal(request.headers['x-exo-signature'], exoSignature(secret, request.body))
  })

  test('once the grace period is over only the new secret signs', async ({
    client,
    assert,
    cleanup,
  }) => {
    const receiver = await startReceiver()
    cleanup(() => receiver.close())
    const { user, token, id, secret: old } = await subscribed(client, receiver.url)

    const rotated = await client
      .post(await apiPath(`/webhooks/${id}/rotate-secret`))
      .bearerToken(token)
      .json({ grace_period: 1 })
    const secret = rotated.body().secret
    await sleep(2100)

    await Order.create({ userId: user.id, total: 1, status: 'new' })
    const [request] = await receiver.waitFor(1)
    assert.isTrue(verifies(secret, request))
    assert.isFalse(verifies(old, request))
  })

  test('a grace period of 0 and of 604800 are accepted', async ({ client }) => {
    const { token, id } = await subscribed(client, 'https://example.com/hook')
    for (const gracePeriod of [0, 604800]) {
      const response = await client
        .post(await apiPath(`/webhooks/${id}/rotate-secret`))
        .bearerToken(token)
        .json({ grace_period: gracePeriod })
      response.assertStatus(200)
    }
  })

  test('refuses grace_period {value} with a 422 naming grace_period')
    .with([{ value: -1 }, { value: 604801 }, { value: 'abc' }, { value: 1.5 }])
    .run(async ({ client, assert }, { value }) => {
      const { token, id, secret } = await subscribed(client, 'https://example.com/hook')
      const response = await client
        .post(await apiPath(`/webhooks/${id}/rotate-secret`))
        .bearerToken(token)
        .json({ grace_period: value })
      response.assertStatus(422)
      assert.deepEqual(
        response.body().errors.map((error: { field: string }) => error.field),
        ['grace_period']
      )
      const stored = await WebhookSubscription.findOrFail(id)
      assert.equal(stored.secret, secret)
    })
})
