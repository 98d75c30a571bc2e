import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import type { TestContext } from '@japa/runner/core'
import type { Assert } from '@japa/assert'
import db from '@adonisjs/lucid/services/db'
import fc from 'fast-check'
import Order from '#models/order'
import { apiPath } from '#tests/helpers/api'
import { apiUser, deleteSubscriptions } from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'
import { baseUrl, openPage, signIn } from '#tests/helpers/browser'
import { receiverFor, type Receiver } from '#tests/helpers/receiver'
import { workerEmitted } from '#tests/helpers/worker'

/**
 * Keys that reach a prototype through a deep merge (`constructor.prototype`
 * through the lodash Lucid uses; `__proto__` elsewhere) are refused at any
 * depth of any JSON field, and what was stored with them is read back
 * without them. Bodies are sent as raw JSON text: an object literal with a
 * `__proto__` key would set its prototype instead.
 */

const REPRO = '{"constructor":{"prototype":{"pp_repro":"1"}}}'

/** Raw JSON bodies, each with the path the 422 names */
const HOSTILE_FIELDS: [string, string, string][] = [
  ['metadata', REPRO, 'metadata.constructor'],
  ['metadata', `{"team":{"deep":${REPRO}}}`, 'metadata.team.deep.constructor'],
  ['metadata', `{"list":[1,{"x":${REPRO}}]}`, 'metadata.list.1.x.constructor'],
  ['metadata', '{"__proto__":{"pp_repro":"1"}}', 'metadata.__proto__'],
  ['metadata', '{"a":{"prototype":{"pp_repro":"1"}}}', 'metadata.a.prototype'],
  ['headers', '{"X-Team":"a","constructor":"x"}', 'headers.constructor'],
  ['headers', '{"__proto__":"x"}', 'headers.__proto__'],
  [
    'auth',
    `{"type":"basic","username":"u","password":"p","constructor":{"prototype":{"pp_repro":"1"}}}`,
    'auth.constructor',
  ],
  [
    'secret_header',
    '{"name":"X-S","value":"v","__proto__":{"pp_repro":"1"}}',
    'secret_header.__proto__',
  ],
]

function rawBody(url: string, field: string, json: string) {
  return `{"name":"pp","url":${JSON.stringify(url)},"resource":"order","events":["on_create"],"is_active":false,"${field}":${json}}`
}

async function send(token: string, method: string, path: string, body: string) {
  const response = await fetch(`${baseUrl}${apiPath(path)}`, {
    method,
    headers: { 'authorization': `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  })
  const answer: any = await response.json().catch(() => null)
  return { status: response.status, body: answer }
}

function assertPrototypeUntouched(assert: Assert) {
  assert.deepEqual(Object.keys(Object.prototype), [], 'Object.prototype of the web process')
  assert.isUndefined(({} as Record<string, unknown>).pp_repro)
}

/**
 * An order delivered to a fresh subscription of the receiver, the worker
 * having logged the success with an untouched `Object.prototype`.
 */
async function assertWorkerDelivers(
  assert: Assert,
  api: Awaited<ReturnType<typeof apiUser>>['api'],
  user: { id: number },
  receiver: Receiver
) {
  const created = await api
    .post('/webhooks')
    .json({ name: 'pp', url: receiver.url, resource: 'order', events: ['on_create'] })
  created.assertStatus(201)
  const order = await Order.create({ userId: user.id, total: 7, status: 'new' })
  const received = await receiver.waitFor(receiver.received.length + 1)
  assert.equal(received.at(-1)!.json.data.id, order.id)
  const [logged] = await workerEmitted(
    'exo:delivery:succeeded',
    (attempt) => attempt.subscriptionId === created.body().id
  )
  assert.deepEqual(logged.prototype, [], 'Object.prototype of the worker')
}

/** An API user and a receiver closed when the test ends */
async function callerAndReceiver(client: ApiClient, cleanup: TestContext['cleanup']) {
  return { ...(await apiUser(client)), receiver: await receiverFor(cleanup) }
}

/**
 * An API user, a receiver, and an inactive subscription of theirs to it, to update.
 */
async function callerWithSubscription(client: ApiClient, cleanup: TestContext['cleanup']) {
  const { receiver, ...caller } = await callerAndReceiver(client, cleanup)
  const existing = await caller.api.post('/webhooks').json({
    name: 'pp',
    url: receiver.url,
    resource: 'order',
    events: ['on_create'],
    is_active: false,
  })
  existing.assertStatus(201)
  return { ...caller, receiver, id: existing.body().id as number }
}

test.group('Security | hostile JSON keys', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
    cleanPrototype()
  })

  test('refused at any depth of every JSON field, on create and update, the path named', async ({
    assert,
    client,
    cleanup,
  }) => {
    const { api, token, user, receiver, id } = await callerWithSubscription(client, cleanup)

    for (const [field, json, path] of HOSTILE_FIELDS) {
      for (const [method, route] of [
        ['POST', '/webhooks'],
        ['PATCH', `/webhooks/${id}`],
        ['PUT', `/webhooks/${id}`],
      ]) {
        const answer = await send(token, method, route, rawBody(receiver.url, field, json))
        assert.equal(answer.status, 422, `${method} ${route} with ${field} ${json}`)
        assert.deepInclude(answer.body.errors, {
          field: path,
          rule: 'reserved_key',
          message: `The ${path} field is not allowed: no key may be named __proto__, constructor or prototype`,
        })
      }
    }
    const topLevel = await send(token, 'POST', '/webhooks', REPRO)
    assert.equal(topLevel.status, 422)
    assert.equal(topLevel.body.errors[0].field, 'constructor')

    assertPrototypeUntouched(assert)
    for (const path of ['/whoami', '/webhooks', `/webhooks/${id}`, '/resources']) {
      const answer = await api.get(path)
      assert.equal(answer.status(), 200, path)
    }
    await assertWorkerDelivers(assert, api, user, receiver)
  })

  test('what was stored with such keys is read back without them, and still delivered to', async ({
    assert,
    client,
    cleanup,
  }) => {
    const { api, user, receiver } = await callerAndReceiver(client, cleanup)
    const created = await api.post('/webhooks').json({
      name: 'pp',
      url: receiver.url,
      resource: 'order',
      events: ['on_create'],
      metadata: { team: 'a' },
    })
    created.assertStatus(201)
    const id = created.body().id
    // As a row written before the refusal, or by hand, would hold them
    await db
      .from('exo_subscriptions')
      .where('id', id)
      .update({
        metadata: `{"team":"a",${REPRO.slice(1, -1)},"deep":{"__proto__":{"pp_repro":"1"}}}`,
        headers: '{"X-Team":"a","constructor":{"prototype":{"pp_repro":"1"}}}',
      })

    const shown = await api.get(`/webhooks/${id}`)
    shown.assertStatus(200)
    assert.deepEqual(shown.body().metadata, { team: 'a', deep: {} })
    assert.deepEqual(shown.body().headers, { 'X-Team': 'a' })
    assertPrototypeUntouched(assert)
    const whoami = await api.get('/whoami')
    assert.equal(whoami.status(), 200)

    // The worker reads the row for each attempt: two orders, both delivered and logged
    for (const total of [1, 2]) {
      await Order.create({ userId: user.id, total, status: 'new' })
    }
    const received = await receiver.waitFor(2)
    assert.deepEqual(
      received.map((request) => request.headers['x-team']),
      ['a', 'a']
    )
    await eventually(
      () => api.get(`/webhooks/${id}/deliveries`).then((response) => response.body().data),
      (data: { status: string }[]) =>
        data.length === 2 && data.every((row) => row.status === 'success')
    )
    await assertWorkerDelivers(assert, api, user, receiver)
  })

  test('the dashboard form refuses them, and its JSON bodies never reach a prototype', async ({
    assert,
    client,
    cleanup,
  }) => {
    const { api, user, receiver } = await callerAndReceiver(client, cleanup)
    const page = await openPage(cleanup)
    await signIn(page, user.email)

    await page.goto('/exo/webhooks/create')
    await page.getByLabel('Name', { exact: true }).fill('pp')
    await page.getByLabel('URL').fill(receiver.url)
    await page.locator('[data-events-of="order"]').getByLabel('on_create').check()
    await page.getByLabel('Custom headers').fill('X-Team: a\nconstructor: x')
    await page.getByRole('button', { name: 'Create subscription' }).click()
    assert.include(
      await page.locator('body').innerText(),
      'The headers.constructor field is not allowed'
    )

    const csrf = await page.locator('input[name=_csrf]').first().getAttribute('value')
    const posted = await page.request.post('/exo/webhooks', {
      headers: { 'content-type': 'application/json' },
      data: `{"_csrf":${JSON.stringify(csrf)},"name":"pp","url":${JSON.stringify(receiver.url)},"resource":"order","events":{"order":["on_create"]},"headers":"X-Team: a",${REPRO.slice(1, -1)},"auth_type":{"constructor":{"prototype":{"pp_repro":"1"}}}}`,
      maxRedirects: 0,
    })
    assert.isBelow(posted.status(), 500)
    assertPrototypeUntouched(assert)
    const whoami = await api.get('/whoami')
    assert.equal(whoami.status(), 200)
    await assertWorkerDelivers(assert, api, user, receiver)
  })

  test('property: hostile keys anywhere in a body never answer 5xx nor touch a prototype', async ({
    assert,
    client,
    cleanup,
  }) => {
    const { api, token, user, receiver, id } = await callerWithSubscription(client, cleanup)

    await fc.assert(
      fc.asyncProperty(
        hostileBody(receiver.url),
        fc.constantFrom('POST', 'PATCH'),
        async ({ json, hostile }, method) => {
          const route = method === 'POST' ? '/webhooks' : `/webhooks/${id}`
          const answer = await send(token, method, route, json)
          assert.isBelow(answer.status, 500, json)
          if (hostile) {
            assert.equal(answer.status, 422, json)
            assert.include(
              answer.body.errors.map((error: { rule: string }) => error.rule),
              'reserved_key'
            )
          }
          assertPrototypeUntouched(assert)
        }
      ),
      { numRuns: 150, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) }
    )
    await assertWorkerDelivers(assert, api, user, receiver)
  })
})

function cleanPrototype() {
  // A polluted prototype would fail every later test: clean it so only this group fails
  for (const key of Object.keys(Object.prototype)) {
    delete (Object.prototype as Record<string, unknown>)[key]
  }
}

const RESERVED = ['__proto__', 'constructor', 'prototype']

/** A JSON value as a tree, serialized by hand so that any key, `__proto__` included, is kept */
type Tree = null | boolean | number | string | Tree[] | { entries: [string, Tree][] }

function serialize(tree: Tree): string {
  if (Array.isArray(tree)) return `[${tree.map(serialize).join(',')}]`
  if (tree !== null && typeof tree === 'object') {
    return `{${tree.entries.map(([key, value]) => `${JSON.stringify(key)}:${serialize(value)}`).join(',')}}`
  }
  return JSON.stringify(tree)
}

function hasReserved(tree: Tree): boolean {
  if (Array.isArray(tree)) return tree.some(hasReserved)
  if (tree !== null && typeof tree === 'object') {
    // As JSON.parse reads an object: of a key given twice, the last value stands
    const parsed = new Map(tree.entries)
    return [...parsed].some(([key, value]) => RESERVED.includes(key) || hasReserved(value))
  }
  return false
}

/**
 * A valid subscription body with a random JSON value in one of its JSON
 * fields, or in a field of its own; reserved keys anywhere in that value.
 */
function hostileBody(url: string) {
  const key = fc.oneof(
    fc.constantFrom(...RESERVED),
    fc.constantFrom('type', 'name', 'value', 'X-Team', 'username', 'password', 'token'),
    fc.string({ maxLength: 6 })
  )
  const { tree } = fc.letrec<{ tree: Tree; object: Tree }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom<Tree>(null, true, 1, 'x', 'basic'),
      tie('object'),
      fc.array(tie('tree'), { maxLength: 3 })
    ),
    object: fc.array(fc.tuple(key, tie('tree')), { maxLength: 4 }).map((entries) => ({ entries })),
  }))
  const field = fc.constantFrom(
    'metadata',
    'headers',
    'auth',
    'secret_header',
    'extra',
    'constructor'
  )
  return fc.tuple(field, tree).map(([name, value]) => {
    const json = `{"name":"pp","url":${JSON.stringify(url)},"resource":"order","events":["on_create"],"is_active":false,${JSON.stringify(name)}:${serialize(value)}}`
    return { json, hostile: RESERVED.includes(name) || hasReserved(value) }
  })
}
