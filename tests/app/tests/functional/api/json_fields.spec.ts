import { test } from '@japa/runner'
import { apiPath } from '#tests/helpers/api'
import { apiUser, deleteSubscriptions, subscriptionBody } from '#tests/helpers/api_fixtures'

/**
 * Metadata and headers are the client's own JSON: any key is kept as sent,
 * including names Lucid's dirty check once mistook for methods or its flags
 * (all but those that reach a prototype: see security/hostile_keys.spec.ts).
 */
test.group('API | free-form JSON fields', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('metadata and header keys named like object methods round-trip', async ({
    client,
    assert,
  }) => {
    const { token } = await apiUser(client)
    const created = await client
      .post(await apiPath('/webhooks'))
      .bearerToken(token)
      .json(subscriptionBody('http://127.0.0.1:9/hook', { metadata: { toString: 'a' } }))
    created.assertStatus(201)
    const path = await apiPath(`/webhooks/${created.body().id}`)

    for (const metadata of [
      { toString: 'b', valueOf: 1 },
      { isDirty: false, propertyIsEnumerable: 'x' },
      { isDirty: true, hasOwnProperty: [1] },
    ]) {
      const headers = { valueOf: 'v', toString: 't' }
      const updated = await client.patch(path).bearerToken(token).json({ metadata, headers })
      updated.assertStatus(200)
      assert.deepEqual(updated.body().metadata, metadata)
      const shown = await client.get(path).bearerToken(token)
      assert.deepEqual(shown.body().metadata, metadata)
      assert.deepEqual(shown.body().headers, headers)
    }
  })
})
