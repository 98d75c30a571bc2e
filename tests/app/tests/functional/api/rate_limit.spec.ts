import { test } from '@japa/runner'
import { WebhookSubscription } from 'adonis-exo'
import {
  apiSubscription,
  deleteSubscriptions,
  errorFields,
  subscriptionBody,
} from '#tests/helpers/api_fixtures'

test.group('API | a subscription’s rate_limit', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('is kept as given, changed and cleared by an update, and null when not given', async ({
    client,
    assert,
  }) => {
    const { api, created, id } = await apiSubscription(client, 'https://example.com/hook', {
      rate_limit: 5,
    })
    assert.equal(created.rate_limit, 5)
    const stored = await WebhookSubscription.findOrFail(id)
    assert.equal(stored.rateLimit, 5)

    const changed = await api.patch(`/webhooks/${id}`).json({ rate_limit: 10_000 })
    changed.assertStatus(200)
    assert.equal(changed.body().rate_limit, 10_000)
    const untouched = await api.patch(`/webhooks/${id}`).json({ name: 'Renamed' })
    assert.equal(untouched.body().rate_limit, 10_000)
    const cleared = await api.put(`/webhooks/${id}`).json({ rate_limit: null })
    cleared.assertStatus(200)
    assert.isNull(cleared.body().rate_limit)
    const shown = await api.get(`/webhooks/${id}`)
    assert.isNull(shown.body().rate_limit)

    const plain = await api.post('/webhooks').json(subscriptionBody('https://example.com/plain'))
    plain.assertStatus(201)
    assert.isNull(plain.body().rate_limit)
  })

  test('anything but a whole number from 1 to 10000 is a 422 naming rate_limit', async ({
    client,
    assert,
  }) => {
    const { api, id } = await apiSubscription(client, 'https://example.com/hook', {
      rate_limit: 5,
    })
    for (const rateLimit of [0, -1, 10_001, 2.5, 'fast', '', true, [5], { valueOf: 5 }, 1e300]) {
      const created = await api
        .post('/webhooks')
        .json(subscriptionBody('https://example.com/hook', { rate_limit: rateLimit }))
      created.assertStatus(422)
      assert.deepEqual(errorFields(created), ['rate_limit'], JSON.stringify(rateLimit))
      assert.match(created.body().errors[0].message, /rate_limit field must be a whole number/)

      const updated = await api.patch(`/webhooks/${id}`).json({ rate_limit: rateLimit })
      updated.assertStatus(422)
      assert.deepEqual(errorFields(updated), ['rate_limit'], JSON.stringify(rateLimit))
    }
    const stored = await WebhookSubscription.findOrFail(id)
    assert.equal(stored.rateLimit, 5)
  }).timeout(30_000)
})
