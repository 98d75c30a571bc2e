import { test } from '@japa/runner'
import Note from '#models/note'
import Order from '#models/order'
import { createUser, deliveredOrder, subscribe, subscribedReceiver } from '#tests/helpers/fixtures'
import { startReceiver } from '#tests/helpers/receiver'
import { deleteSubscriptions, fannedOutTo } from '#tests/helpers/api_fixtures'

test.group('Requests carry the subscription’s headers and credentials', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('custom headers, the secret header and basic auth', async ({ assert, cleanup }) => {
    const { receiver, user } = await subscribedReceiver(cleanup, {
      subscription: {
        headers: { 'X-Team': 'billing' },
        secretHeader: { name: 'X-Webhook-Secret', value: 'shared-value' },
        auth: { type: 'basic', username: 'hook', password: 'p4ss' },
      },
    })
    const request = await deliveredOrder(user, receiver)
    assert.equal(request.headers['x-team'], 'billing')
    assert.equal(request.headers['x-webhook-secret'], 'shared-value')
    assert.equal(
      request.headers.authorization,
      `Basic ${Buffer.from('hook:p4ss').toString('base64')}`
    )
  })

  test('bearer auth', async ({ assert, cleanup }) => {
    const { receiver, user } = await subscribedReceiver(cleanup, {
      subscription: { auth: { type: 'bearer', token: 'tok-123' } },
    })
    const request = await deliveredOrder(user, receiver)
    assert.equal(request.headers.authorization, 'Bearer tok-123')
  })
})

test.group('Matching | environments, ownership and queues', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('a subscription fires only in its environments; none means all', async ({
    assert,
    cleanup,
  }) => {
    const [testing, production, any] = await Promise.all([
      startReceiver({ cleanup }),
      startReceiver({ cleanup }),
      startReceiver({ cleanup }),
    ])
    const user = await createUser()
    const inTest = await subscribe(user, testing.url, { environments: ['test'] })
    const inProduction = await subscribe(user, production.url, { environments: ['production'] })
    const inAny = await subscribe(user, any.url, { environments: [] })

    const order = await Order.create({ userId: user.id, total: 1, status: 'new' })
    const sentTo = await fannedOutTo(order)
    assert.includeMembers(sentTo, [inTest.id, inAny.id].map(Number))
    assert.notInclude(sentTo, Number(inProduction.id))
    await testing.waitFor(1)
    await any.waitFor(1)
    assert.lengthOf(production.received, 0)
  })

  test('admins get every record; others only their own; no ownerColumn means admins only', async ({
    assert,
    cleanup,
  }) => {
    const [adminHook, ownerHook, strangerHook, noteHook] = await Promise.all([
      startReceiver({ cleanup }),
      startReceiver({ cleanup }),
      startReceiver({ cleanup }),
      startReceiver({ cleanup }),
    ])
    const admin = await createUser({ isAdmin: true })
    const owner = await createUser()
    const stranger = await createUser()
    const adminSubscription = await subscribe(admin, adminHook.url)
    const ownerSubscription = await subscribe(owner, ownerHook.url)
    const strangerSubscription = await subscribe(stranger, strangerHook.url)
    const ownerNotes = await subscribe(owner, noteHook.url, {
      resource: 'note',
      events: ['on_delete'],
    })

    const order = await Order.create({ userId: owner.id, total: 1, status: 'new' })
    const note = await Note.create({ body: 'x' })
    await note.delete()

    const orderSentTo = await fannedOutTo(order)
    assert.includeMembers(orderSentTo, [adminSubscription.id, ownerSubscription.id].map(Number))
    assert.notInclude(
      orderSentTo,
      Number(strangerSubscription.id),
      'another user’s record is not sent'
    )
    assert.notInclude(
      await fannedOutTo(note, 'on_delete'),
      Number(ownerNotes.id),
      'a resource without ownerColumn goes to admins only'
    )
    await adminHook.waitFor(1)
    await ownerHook.waitFor(1)
    assert.lengthOf(strangerHook.received, 0)
    assert.lengthOf(noteHook.received, 0)
  })
})
