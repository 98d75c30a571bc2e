import { test } from '@japa/runner'
import { WebhookDelivery } from 'adonis-exo'
import Order from '#models/order'
import {
  apiSubscribedReceiver,
  apiSubscription,
  apiUser,
  deleteSubscriptions,
  errorFields,
  fannedOutTo,
  subscriptionBody,
} from '#tests/helpers/api_fixtures'

const PAID_OVER_100 = { 'data.status': 'paid', 'data.total': { $gte: 100 } }

test.group('API | subscription filters', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('a filter is kept as given, and none reads back null', async ({ client, assert }) => {
    const filter = {
      'event': 'on_create',
      'data.status': { $in: ['paid', 'shipped'] },
      '$or': [{ 'data.total': { $gt: 100 } }, { 'data.status': { $startsWith: 'ship' } }],
    }
    const { api, created } = await apiSubscription(client, 'https://example.com/hook', { filter })
    assert.deepEqual(created.filter, filter)
    const shown = await api.get(`/webhooks/${created.id}`)
    assert.deepEqual(shown.body().filter, filter)

    const plain = await api.post('/webhooks').json(subscriptionBody('https://example.com/plain'))
    plain.assertStatus(201)
    assert.isNull(plain.body().filter)
  })

  test('a malformed filter is a 422 naming its path', async ({ client, assert }) => {
    const { api } = await apiUser(client)
    const cases: [unknown, string, string][] = [
      [[], 'filter', 'object'],
      ['data.status = paid', 'filter', 'object'],
      [{ 'data.total': { $gt: true } }, 'filter.data.total.$gt', 'operand'],
      [{ 'data.total': { $regex: '^1' } }, 'filter.data.total.$regex', 'operator'],
      [{ 'data.status': { $in: 'paid' } }, 'filter.data.status.$in', 'operand'],
      [{ 'data.status': { $exists: 1 } }, 'filter.data.status.$exists', 'operand'],
      [{ 'data.status': ['paid'] }, 'filter.data.status', 'condition'],
      [{ $where: 'this.total > 1' }, 'filter.$where', 'operator'],
      [{ $or: [{ 'data.x': { $eq: {} } }] }, 'filter.$or.0.data.x.$eq', 'operand'],
      [{ 'data.constructor.prototype': 1 }, 'filter.data.constructor.prototype', 'reserved_key'],
    ]
    for (const [filter, field, rule] of cases) {
      const response = await api
        .post('/webhooks')
        .json(subscriptionBody('https://example.com/hook', { filter }))
      response.assertStatus(422)
      assert.deepEqual(errorFields(response), [field], JSON.stringify(filter))
      assert.equal(response.body().errors[0].rule, rule)
      assert.isString(response.body().errors[0].message)
    }
  }).timeout(30_000)

  test('hostile keys and oversized filters are refused with a 422', async ({ client, assert }) => {
    const { api } = await apiUser(client)
    const raw = (json: string) =>
      api
        .post('/webhooks')
        .type('application/json')
        .unsafeJson(
          `{"name":"x","url":"https://example.com/hook","resource":"order","events":["on_create"],"filter":${json}}`
        )
    const proto = await raw('{"__proto__":{"polluted":1}}')
    proto.assertStatus(422)
    assert.deepEqual(errorFields(proto), ['filter.__proto__'])
    const nested = await raw('{"$and":[{"constructor":{"prototype":{"polluted":1}}}]}')
    nested.assertStatus(422)
    assert.match(errorFields(nested)[0], /^filter\.\$and\.0\.constructor/)
    assert.deepEqual(Object.keys(Object.prototype), [])

    let deep: unknown = { 'data.status': 'paid' }
    for (let level = 0; level < 500; level++) deep = { $or: [deep] }
    const tooDeep = await raw(JSON.stringify(deep))
    tooDeep.assertStatus(422)
    assert.equal(tooDeep.body().errors[0].rule, 'maxDepth')

    const many = Object.fromEntries(Array.from({ length: 51 }, (_, index) => [`data.k${index}`, 1]))
    const tooMany = await raw(JSON.stringify(many))
    tooMany.assertStatus(422)
    assert.deepEqual(errorFields(tooMany), ['filter'])
    const long = { 'data.s': { $in: Array.from({ length: 50 }, () => 'x'.repeat(100)) } }
    const tooBig = await raw(JSON.stringify(long))
    tooBig.assertStatus(422)
    assert.equal(tooBig.body().errors[0].rule, 'maxSize')
  })

  test('PATCH sets, keeps and, with null, clears the filter', async ({ client, assert }) => {
    const { api, id } = await apiSubscription(client, 'https://example.com/hook')
    const set = await api.patch(`/webhooks/${id}`).json({ filter: PAID_OVER_100 })
    set.assertStatus(200)
    assert.deepEqual(set.body().filter, PAID_OVER_100)

    const renamed = await api.patch(`/webhooks/${id}`).json({ name: 'renamed' })
    assert.deepEqual(renamed.body().filter, PAID_OVER_100, 'a PATCH without it keeps it')

    const refused = await api.put(`/webhooks/${id}`).json({ filter: { 'data.total': { $gt: [] } } })
    refused.assertStatus(422)
    assert.deepEqual(errorFields(refused), ['filter.data.total.$gt'])

    const cleared = await api.patch(`/webhooks/${id}`).json({ filter: null })
    cleared.assertStatus(200)
    assert.isNull(cleared.body().filter)
    const shown = await api.get(`/webhooks/${id}`)
    assert.isNull(shown.body().filter)
  })

  test('an event the filter refuses gets no attempt; a matching one is delivered', async (context) => {
    const { assert } = context
    const { receiver, user, id } = await apiSubscribedReceiver(context, {
      body: { events: ['on_create', 'on_update'], filter: PAID_OVER_100 },
    })

    const cheap = await Order.create({ userId: user.id, total: 5, status: 'paid' })
    const unpaid = await Order.create({ userId: user.id, total: 500, status: 'new' })
    assert.notInclude(await fannedOutTo(cheap), id)
    assert.notInclude(await fannedOutTo(unpaid), id)

    unpaid.status = 'paid'
    await unpaid.save()
    const [request] = await receiver.waitFor(1)
    const body = JSON.parse(request.body)
    assert.equal(body.event, 'on_update')
    assert.deepInclude(body.data, { id: unpaid.id, status: 'paid', total: 500 })

    const attempts = await WebhookDelivery.query().where('subscription_id', id)
    assert.lengthOf(attempts, 1, 'only the matching event has an attempt')
    assert.lengthOf(receiver.received, 1, 'and only it reached the receiver')
  }).timeout(30_000)

  test('a replay re-sends only the events the filter lets through', async (context) => {
    const { assert } = context
    const { receiver, user, id, api } = await apiSubscribedReceiver(context, {
      body: { filter: { 'data.status': 'paid' } },
    })
    const since = new Date(Date.now() - 5000).toISOString()
    const paidOrder = await Order.create({ userId: user.id, total: 1, status: 'paid' })
    const newOrder = await Order.create({ userId: user.id, total: 1, status: 'new' })
    assert.notInclude(await fannedOutTo(newOrder), id)
    await receiver.waitFor(1)

    const replay = await api.post(`/webhooks/${id}/replay`).json({ since })
    replay.assertStatus(202)
    assert.deepEqual(replay.body(), { queued: 1 })
    await receiver.waitFor(2)
    const sent = receiver.received.map((request) => request.json.data.id)
    assert.deepEqual(sent, [paidOrder.id, paidOrder.id])
  }).timeout(30_000)
})
