import { test } from '@japa/runner'
import { exoApi } from '#tests/helpers/api'
import { apiUser } from '#tests/helpers/api_fixtures'

test.group('API | GET /whoami', () => {
  test('answers {id, email, is_admin} for a user who is not an admin', async ({
    client,
    assert,
  }) => {
    const { user, api } = await apiUser(client)
    const response = await api.get('/whoami')
    response.assertStatus(200)
    assert.deepEqual(response.body(), { id: user.id, email: user.email, is_admin: false })
  })

  test('answers is_admin true for an admin', async ({ client, assert }) => {
    const { user, api } = await apiUser(client, { isAdmin: true })
    const response = await api.get('/whoami')
    response.assertStatus(200)
    assert.deepEqual(response.body(), { id: user.id, email: user.email, is_admin: true })
  })
})

test.group('API | GET /resources', () => {
  test('lists every registered resource with its triggers and events', async ({
    client,
    assert,
  }) => {
    const { api } = await apiUser(client)
    const response = await api.get('/resources')
    response.assertStatus(200)
    assert.deepEqual(Object.keys(response.body()), ['data'])
    assert.sameDeepMembers(response.body().data, [
      {
        name: 'order',
        triggers: ['on_create', 'on_update', 'on_delete'],
        events: ['on_create', 'on_update', 'on_delete', 'shipped', 'refunded'],
      },
      { name: 'note', triggers: ['on_delete'], events: ['on_delete'] },
    ])
  })

  test('needs a token', async ({ client }) => {
    const response = await exoApi(client).get('/resources')
    response.assertStatus(401)
  })
})
