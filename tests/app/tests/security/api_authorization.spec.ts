import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import { DateTime } from 'luxon'
import type { ApiClient } from '@japa/api-client'
import { WebhookDelivery, WebhookEvent } from 'adonis-exo'
import type User from '#models/user'
import { apiPath, tokenFor } from '#tests/helpers/api'
import { deleteSubscriptions, subscriptionBody } from '#tests/helpers/api_fixtures'
import { createUser, subscribe } from '#tests/helpers/fixtures'

type Actor = 'owner' | 'other user' | 'admin' | 'anonymous' | 'revoked token'
const ACTORS: Actor[] = ['owner', 'other user', 'admin', 'anonymous', 'revoked token']

interface Row {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete'
  path: string
  body?: Record<string, unknown>
  /** What the owner gets; everyone else's answer follows from CONTRACT §5 */
  owner: number
  /** Routes about no one's subscription answer every signed-in user alike */
  shared?: boolean
}

/**
 * Every API endpoint × owner, another user, an admin (still scoped to their
 * own subscriptions in the API), no token and a revoked token.
 */
function expected(row: Row, actor: Actor) {
  if (actor === 'anonymous' || actor === 'revoked token') return 401
  if (actor === 'owner' || row.shared) return row.owner
  return 404
}

async function fixtures() {
  const owner = await createUser()
  const other = await createUser()
  const admin = await createUser({ isAdmin: true })
  const revokedUser = await createUser()
  const subscription = await subscribe(owner, 'http://127.0.0.1:9/hook')
  // An event of the past, fanned out already: left in the outbox, the sweeper would fan it
  // out to the subscriptions of later tests
  const event = await WebhookEvent.create({
    id: `evt_${Date.now()}`,
    resource: 'order',
    event: 'on_create',
    data: '{"id":1}',
    ownerId: String(owner.id),
    environment: app.getEnvironment(),
    occurredAt: '2026-01-01T00:00:00.000000Z',
    dispatchedAt: DateTime.now(),
  })
  const delivery = await WebhookDelivery.create({
    id: `dlv_${Date.now()}`,
    subscriptionId: subscription.id,
    eventId: event.id,
    attempt: 1,
    status: 'failed',
    httpStatus: 500,
    scheduledAt: DateTime.now(),
  })
  const revoked = await tokenFor(revokedUser)
  const exo = await app.container.make('exo.manager')
  const apiTokens = await exo.tokens()
  await apiTokens.delete(revokedUser, revoked.id)

  const [ownerToken, otherToken, adminToken] = await Promise.all(
    [owner, other, admin].map((user) => tokenFor(user))
  )
  const tokens: Record<Actor, string | null> = {
    'owner': ownerToken.value,
    'other user': otherToken.value,
    'admin': adminToken.value,
    'anonymous': null,
    'revoked token': revoked.value,
  }
  return { owner, subscription, delivery, event, tokens }
}

function rows(id: number, deliveryId: string, eventId: string): Row[] {
  const hook = `/webhooks/${id}`
  return [
    { method: 'get', path: '/whoami', owner: 200, shared: true },
    { method: 'get', path: '/resources', owner: 200, shared: true },
    { method: 'get', path: '/webhooks', owner: 200, shared: true },
    {
      method: 'post',
      path: '/webhooks',
      body: subscriptionBody('http://127.0.0.1:9/hook'),
      owner: 201,
      shared: true,
    },
    { method: 'get', path: hook, owner: 200 },
    { method: 'put', path: hook, body: { name: 'renamed' }, owner: 200 },
    { method: 'patch', path: hook, body: { name: 'renamed again' }, owner: 200 },
    { method: 'post', path: `${hook}/rotate-secret`, owner: 200 },
    { method: 'post', path: `${hook}/ping`, owner: 502 },
    { method: 'get', path: `${hook}/deliveries`, owner: 200 },
    { method: 'get', path: `${hook}/deliveries?status=failed`, owner: 200 },
    // Ownership is checked before the query string
    { method: 'get', path: `${hook}/deliveries?status=done`, owner: 422 },
    { method: 'get', path: `${hook}/deliveries/${deliveryId}`, owner: 200 },
    { method: 'post', path: `${hook}/deliveries/${deliveryId}/redeliver`, owner: 202 },
    { method: 'post', path: `${hook}/replay`, body: { event_id: eventId }, owner: 202 },
    { method: 'delete', path: hook, owner: 204 },
  ]
}

async function send(client: ApiClient, row: Row, token: string | null) {
  const request = client.request(await apiPath(row.path), row.method.toUpperCase())
  if (token) request.bearerToken(token)
  return row.body ? request.json(row.body) : request
}

test.group('Security | API authorization matrix', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('every endpoint answers each actor as CONTRACT §5 says', async ({ client, assert }) => {
    const { subscription, delivery, event, tokens } = await fixtures()
    const results: string[] = []
    // Anyone who may not touch the subscription goes first: the owner's
    // DELETE comes last and must find it still there.
    for (const actor of [...ACTORS.slice(1), 'owner' as const]) {
      for (const row of rows(subscription.id, delivery.id, event.id)) {
        const response = await send(client, row, tokens[actor])
        const status = response.status()
        const want = expected(row, actor)
        results.push(`${row.method.toUpperCase()} ${row.path} × ${actor}: ${status}`)
        assert.equal(status, want, `${row.method.toUpperCase()} ${row.path} as ${actor}`)
        if (status === 404 || status === 401) {
          assert.notInclude(JSON.stringify(response.body()), subscription.name)
          assert.notInclude(JSON.stringify(response.body()), delivery.id)
        }
        if (
          row.path === '/webhooks' &&
          row.method === 'get' &&
          actor !== 'owner' &&
          status === 200
        ) {
          const ids = response.body().data.map((item: { id: number }) => item.id)
          assert.notInclude(ids, subscription.id, `${actor} does not list the owner's hook`)
        }
      }
    }
    console.log(`API authorization matrix: ${results.length} rows`)
  })

  test('an admin sees only their own subscriptions in the API', async ({ client, assert }) => {
    const admin = await createUser({ isAdmin: true })
    const someone: User = await createUser()
    const own = await subscribe(admin, 'http://127.0.0.1:9/own')
    await subscribe(someone, 'http://127.0.0.1:9/theirs')
    const { value } = await tokenFor(admin)
    const response = await client.get(await apiPath('/webhooks')).bearerToken(value)
    response.assertStatus(200)
    assert.deepEqual(
      response.body().data.map((item: { id: number }) => item.id),
      [Number(own.id)]
    )
  })
})
