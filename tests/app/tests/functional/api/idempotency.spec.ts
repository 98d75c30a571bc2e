import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { WebhookSubscription } from 'adonis-exo'
import type User from '#models/user'
import { exoApi, tokenFor, type ExoApi } from '#tests/helpers/api'
import {
  apiUser,
  deleteSubscriptions,
  errorFields,
  EVERY_OPTIONAL_FIELD,
  subscriptionBody,
} from '#tests/helpers/api_fixtures'

const URL = 'https://example.com/hook'

function createWithKey(api: ExoApi, key: string, body: object) {
  return api.post('/webhooks').header('Idempotency-Key', key).json(body)
}

function subscriptionsOf(user: User) {
  return WebhookSubscription.query().where('user_id', user.id).orderBy('id')
}

/** Makes the key's row as old as `hours`, as the database stores times */
async function ageKeys(hours: number) {
  const client = db.connection()
  const createdAt = DateTime.now().minus({ hours }).toFormat(client.dialect.dateTimeFormat)
  await client.from('exo_idempotency_keys').update({ created_at: createdAt })
}

test.group('API | POST /webhooks with an Idempotency-Key', (group) => {
  group.each.setup(async () => {
    await db.from('exo_idempotency_keys').delete()
  })
  group.each.teardown(deleteSubscriptions)

  test('a repeat of the same request answers the first result, the same subscription and secret', async ({
    assert,
    client,
  }) => {
    const { user, api } = await apiUser(client)
    const body = subscriptionBody(URL, EVERY_OPTIONAL_FIELD)

    const first = await createWithKey(api, 'order-sync-1', body)
    first.assertStatus(201)
    assert.isUndefined(first.header('idempotent-replayed'))
    // The same fields in another order are the same request
    const reordered = Object.fromEntries(Object.entries(body).reverse())
    const again = await createWithKey(api, 'order-sync-1', reordered)

    again.assertStatus(201)
    assert.equal(again.header('idempotent-replayed'), 'true')
    assert.deepEqual(again.body(), first.body())
    assert.lengthOf(await subscriptionsOf(user), 1)

    const [row] = await db.from('exo_idempotency_keys')
    assert.equal(Number(row.subscription_id), first.body().id)
    const stored = JSON.stringify(row)
    for (const secret of [
      first.body().secret,
      EVERY_OPTIONAL_FIELD.auth.password,
      'order-sync-1',
    ]) {
      assert.notInclude(stored, secret, 'kept encrypted or hashed')
    }
  })

  test('the same key with another body is a 422 naming Idempotency-Key', async ({
    assert,
    client,
  }) => {
    const { user, api } = await apiUser(client)
    const first = await createWithKey(api, 'k-1', subscriptionBody(URL))
    first.assertStatus(201)

    const other = await createWithKey(api, 'k-1', subscriptionBody(URL, { name: 'Other' }))

    other.assertStatus(422)
    assert.deepEqual(errorFields(other), ['Idempotency-Key'])
    assert.equal(other.body().errors[0].rule, 'reused')
    assert.lengthOf(await subscriptionsOf(user), 1)
  })

  test('after the app key changed, a repeat is a 422 saying the first answer is unreadable', async ({
    assert,
    client,
  }) => {
    const { user, api } = await apiUser(client)
    const body = subscriptionBody(URL)
    const first = await createWithKey(api, 'k-rekeyed', body)
    first.assertStatus(201)
    // What another key makes of the stored answer and of the body's digest
    await db
      .from('exo_idempotency_keys')
      .update({ response: 'sealed-with-the-old-key', fingerprint: 'f'.repeat(64) })

    const again = await createWithKey(api, 'k-rekeyed', body)

    again.assertStatus(422)
    assert.deepEqual(errorFields(again), ['Idempotency-Key'])
    assert.equal(again.body().errors[0].rule, 'unreadable')
    assert.lengthOf(await subscriptionsOf(user), 1)
  })

  test('keys are per token: another token with the same key creates its own', async ({
    assert,
    client,
  }) => {
    const { user, api } = await apiUser(client)
    const someoneElse = await apiUser(client)
    const body = subscriptionBody(URL)
    const first = await createWithKey(api, 'shared', body)
    first.assertStatus(201)

    const theirs = await createWithKey(someoneElse.api, 'shared', body)
    const secondToken = await tokenFor(user, { name: 'second' })
    const mine = await createWithKey(exoApi(client, secondToken.value), 'shared', body)

    for (const response of [theirs, mine]) {
      response.assertStatus(201)
      assert.isUndefined(response.header('idempotent-replayed'))
      assert.notEqual(response.body().id, first.body().id)
      assert.notEqual(response.body().secret, first.body().secret)
    }
    assert.equal(theirs.body().user_id, someoneElse.user.id)
    assert.lengthOf(await subscriptionsOf(user), 2)
  })

  test('the key must be 1 to 255 printable ASCII characters', async ({ assert, client }) => {
    const { user, api } = await apiUser(client)
    for (const key of ['', 'x'.repeat(256), 'clé', 'a\tb']) {
      const response = await createWithKey(api, key, subscriptionBody(URL))
      response.assertStatus(422)
      assert.deepEqual(errorFields(response), ['Idempotency-Key'], JSON.stringify(key))
    }
    assert.lengthOf(await subscriptionsOf(user), 0)

    const longest = await createWithKey(api, `${'x'.repeat(250)} ~!"#`, subscriptionBody(URL))
    longest.assertStatus(201)
  })

  test('concurrent requests with one key create one subscription and all answer it', async ({
    assert,
    client,
  }) => {
    const { user, api } = await apiUser(client)
    const body = subscriptionBody(URL)

    const responses = await Promise.all(
      Array.from({ length: 6 }, () => createWithKey(api, 'race', body))
    )

    const ids = responses.map((response) => [response.status(), response.body().id])
    const [status, id] = ids[0]
    assert.deepEqual(ids, Array(6).fill([201, id]))
    assert.equal(status, 201)
    assert.lengthOf(
      responses.filter((response) => response.header('idempotent-replayed') === undefined),
      1,
      'one created, the others answered its result'
    )
    assert.lengthOf(await subscriptionsOf(user), 1)
  })

  test('a request that fails keeps no key', async ({ assert, client }) => {
    const { user, api } = await apiUser(client)
    const refused = await createWithKey(
      api,
      'retry-me',
      subscriptionBody(URL, { resource: 'nope' })
    )
    refused.assertStatus(422)
    assert.deepEqual(errorFields(refused), ['resource'])

    const fixed = await createWithKey(api, 'retry-me', subscriptionBody(URL))
    fixed.assertStatus(201)
    assert.isUndefined(fixed.header('idempotent-replayed'))
    assert.lengthOf(await subscriptionsOf(user), 1)
  })

  test('after 24 hours the key is free again, and exo:prune deletes it', async ({
    assert,
    client,
  }) => {
    const { user, api } = await apiUser(client)
    const first = await createWithKey(api, 'daily', subscriptionBody(URL))
    await ageKeys(23)
    const within = await createWithKey(api, 'daily', subscriptionBody(URL))
    assert.equal(within.body().id, first.body().id, 'still answered at 23 hours')

    await ageKeys(25)
    const later = await createWithKey(api, 'daily', subscriptionBody(URL, { name: 'Changed' }))
    later.assertStatus(201)
    assert.isUndefined(later.header('idempotent-replayed'))
    assert.notEqual(later.body().id, first.body().id)
    assert.lengthOf(await subscriptionsOf(user), 2)

    await ageKeys(25)
    const fresh = await createWithKey(api, 'fresh', subscriptionBody(URL))
    fresh.assertStatus(201)
    const ace = await app.container.make('ace')
    const command = await ace.exec('exo:prune', [])
    assert.equal(command.exitCode, 0)
    const kept = await db.from('exo_idempotency_keys')
    assert.lengthOf(kept, 1, 'the key past 24 hours is pruned, the fresh one kept')
    assert.equal(Number(kept[0].subscription_id), fresh.body().id)
  })
})
