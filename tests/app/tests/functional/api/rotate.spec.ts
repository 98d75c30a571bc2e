import { createHmac } from 'node:crypto'
import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { WebhookSubscription } from 'adonis-exo'
import Order from '#models/order'
import {
  apiSubscribedReceiver,
  apiSubscription,
  deleteSubscriptions,
  errorFields,
  type FixtureContext,
} from '#tests/helpers/api_fixtures'
import { verifies } from '#tests/helpers/receiver'

function exoSignature(secret: string, body: string) {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

/**
 * Rotates the secret of a new subscription to a receiver, with `gracePeriod`
 * when one is given: the secrets before and after, and `deliver`, which
 * creates an order and returns the request the receiver got for it.
 */
async function rotatedSubscription(context: FixtureContext, gracePeriod?: number) {
  const { receiver, user, api, id, secret: old } = await apiSubscribedReceiver(context)
  const rotated = await api
    .post(`/webhooks/${id}/rotate-secret`)
    .json(gracePeriod === undefined ? {} : { grace_period: gracePeriod })
  rotated.assertStatus(200)
  return {
    old,
    id,
    secret: rotated.body().secret as string,
    async deliver() {
      await Order.create({ userId: user.id, total: 1, status: 'new' })
      const [request] = await receiver.waitFor(1)
      return request
    },
  }
}

test.group('API | POST /webhooks/:id/rotate-secret', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('answers {secret}, a new secret, and masks it from then on', async ({ client, assert }) => {
    const { api, id, secret: old } = await apiSubscription(client, 'https://example.com/hook')

    const response = await api.post(`/webhooks/${id}/rotate-secret`)
    response.assertStatus(200)
    assert.deepEqual(Object.keys(response.body()), ['secret'])
    const secret = response.body().secret
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
    assert.notEqual(secret, old)

    const shown = await api.get(`/webhooks/${id}`)
    assert.equal(shown.body().masked_secret, `whsec_****${secret.slice(-4)}`)
    const stored = await WebhookSubscription.findOrFail(id)
    assert.equal(stored.secret, secret)
  })

  test('without a grace period the next delivery verifies with the new secret only', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { old, secret, deliver } = await rotatedSubscription({ client, cleanup })
    const request = await deliver()

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
    const { old, secret, deliver } = await rotatedSubscription({ client, cleanup }, 3600)
    const request = await deliver()

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
    const { old, secret, id, deliver } = await rotatedSubscription({ client, cleanup }, 60)
    const rotated = await WebhookSubscription.findOrFail(id)
    assert.approximately(
      rotated.previousSecretExpiresAt!.toMillis(),
      Date.now() + 60_000,
      5_000,
      'the old secret signs for the grace period'
    )
    // The minute gone by: saved through the model, so the workers hear of the change
    rotated.previousSecretExpiresAt = DateTime.now().minus({ seconds: 1 })
    await rotated.save()

    const request = await deliver()
    assert.isTrue(verifies(secret, request))
    assert.isFalse(verifies(old, request))
  })

  test('a grace period of 0 and of 604800 are accepted', async ({ client }) => {
    const { api, id } = await apiSubscription(client, 'https://example.com/hook')
    for (const gracePeriod of [0, 604800]) {
      const response = await api
        .post(`/webhooks/${id}/rotate-secret`)
        .json({ grace_period: gracePeriod })
      response.assertStatus(200)
    }
  })

  test('refuses grace_period {value} with a 422 naming grace_period')
    .with([{ value: -1 }, { value: 604801 }, { value: 'abc' }, { value: 1.5 }])
    .run(async ({ client, assert }, { value }) => {
      const { api, id, secret } = await apiSubscription(client, 'https://example.com/hook')
      const response = await api.post(`/webhooks/${id}/rotate-secret`).json({ grace_period: value })
      response.assertStatus(422)
      assert.deepEqual(errorFields(response), ['grace_period'])
      const stored = await WebhookSubscription.findOrFail(id)
      assert.equal(stored.secret, secret)
    })
})
