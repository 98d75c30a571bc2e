import { setTimeout as sleep } from 'node:timers/promises'
import { test } from '@japa/runner'
import Note from '#models/note'
import Order from '#models/order'
import { createUser, subscribe } from '#tests/helpers/fixtures'
import { receiverForEachTest, startReceiver } from '#tests/helpers/receiver'
import { deleteSubscriptions } from '#tests/helpers/api_fixtures'

test.group('Requests carry the subscription’s headers and credentials', (group) => {
  const receiver = receiverForEachTest(group)

  test('custom headers, the secret header and basic auth', async ({ assert }) => {
    const user = await createUser()
    await subscribe(user, receiver().url, {
      headers: { 'X-Team': 'billing' },
      secretHeader: { name: 'X-Webhook-Secret', value: 'shared-value' },
      auth: { type: 'basic', username: 'hook', password: 'p4ss' },
    })
    await Order.create({ userId: user.id, total: 1, status: 'new' })
    const [request] = await receiver().waitFor(1)
    assert.equal(request.headers['x-team'], 'billing')
    assert.equal(request.headers['x-webhook-secret'], 'shared-value')
    assert.equal(
      request.headers.authorization,
      `Basic ${Buffer.from('hook:p4ss').toString('base64')}`
    )
  })

  test('bearer auth', async ({ assert }) => {
    const user = await createUser()
    await subscribe(user, receiver().url, { auth: { type: 'bearer', token: 'tok-123' } })
    await Order.create({ userId: user.id, total: 1, status: 'new' })
    const [request] = await receiver().waitFor(1)
    assert.equal(request.headers.authorization, 'Bearer tok-123')
  })
})

test.group('Matching | environments, ownership and queues', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('a subscription fires only in its environments; none means all', async ({
    assert,
    cleanup,
  }) => {
    const [testing, production, any] = await Promise.all([
      startReceiver(),
      startReceiver(),
      startReceiver(),
    ])
    cleanup(() => Promise.all([testing.close(), production.close(), any.close()]).then(() => {}))
    const user = await createUser()
    await subscribe(user, testing.url, { environments: ['test'] })
    await subscribe(user, production.url, { environments: ['production'] })
    await subscribe(user, any.url, { environments: [] })

    await Order.create({ userId: user.id, total: 1, status: 'new' })
    await testing.waitFor(1)
    await any.waitFor(1)
    await sleep(300)
    assert.lengthOf(production.received, 0)
  })

  test('admins get every record; others only their own; no ownerColumn means admins only', async ({
    assert,
    cleanup,
  }) => {
    const [adminHook, ownerHook, strangerHook, noteHook] = await Promise.all([
      startReceiver(),
      startReceiver(),
      startReceiver(),
      startReceiver(),
    ])
    cleanup(async () => {
      await Promise.all([adminHook, ownerHook, strangerHook, noteHook].map((hook) => hook.close()))
    })
    const admin = await createUser({ isAdmin: true })
    const owner = await createUser()
    const stranger = await createUser()
    await subscribe(admin, adminHook.url)
    await subscribe(owner, ownerHook.url)
    await subscribe(stranger, strangerHook.url)
    await subscribe(owner, noteHook.url, { resource: 'note', events: ['on_delete'] })

    await Order.create({ userId: owner.id, total: 1, status: 'new' })
    const note = await Note.create({ body: 'x' })
    await note.delete()

    await adminHook.waitFor(1)
    await ownerHook.waitFor(1)
    await sleep(400)
    assert.lengthOf(strangerHook.received, 0, 'another user’s record is not sent')
    assert.lengthOf(noteHook.received, 0, 'a resource without ownerColumn goes to admins only')
  })
})
