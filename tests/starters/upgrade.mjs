/**
 * The upgrade test of docs/upgrading.md, run by scripts/test_upgrade.sh: an app moves from
 * AdonisJS 6 to AdonisJS 7 and loses no event in flight and no secret.
 *
 *   NODE24=<Node 24> node tests/starters/upgrade.mjs <v6 app dir> <v7 app dir> <database>
 *
 * Run on the AdonisJS 6 app's Node (20 to 23); the AdonisJS 7 app's processes run on NODE24.
 * Both apps share the database (migrated by the AdonisJS 6 app), the Redis, APP_KEY (the
 * AdonisJS 6 app's), the namespace and the queue (EXO_NAMESPACE, EXO_QUEUE: the apps'
 * config/exo.ts read them). The AdonisJS 6 app listens on 3384, the AdonisJS 7 app on 3385.
 *
 * 1. AdonisJS 6: `exo:user` makes a user and a token, `POST /exo-api/webhooks` a
 *    subscription; its worker makes a first attempt of an order's `on_create` that the
 *    receiver answers with 500, and stops: the retry waits in BullMQ's delayed set. With no
 *    worker running, more orders: their events wait in Redis. The web server stops.
 * 2. AdonisJS 7: `migration:run` with the AdonisJS 6 app's migrations folder finds nothing
 *    to run; `exo:work` delivers every order's event exactly once (by webhook-id), each
 *    verified with the secret created under AdonisJS 6; nothing is left in Redis.
 * 3. AdonisJS 7's web server takes the token made under AdonisJS 6 (`GET /exo-api/whoami`),
 *    and pings the subscription, signed with its secret made under AdonisJS 6.
 */
import assert from 'node:assert/strict'
import {
  ace,
  api,
  clearNamespace,
  createOrder,
  createReceiver,
  createUser,
  database,
  hostApp,
  redis,
  runScript,
  startServer,
  startWorker,
  step,
  stop,
  waitFor,
} from './host_app.mjs'

const [v6Dir, v7Dir, DATABASE] = process.argv.slice(2)
if (!DATABASE || !process.env.NODE24) {
  throw new Error('usage: NODE24=<node> node tests/starters/upgrade.mjs <v6 app> <v7 app> <db>')
}
const v6 = hostApp(v6Dir)
const v7 = hostApp(v7Dir, process.env.NODE24)
assert.equal(v6.major, 6, `${v6Dir} is not an AdonisJS 6 app`)
assert.equal(v7.major, 7, `${v7Dir} is not an AdonisJS 7 app`)
assert.ok(Number.parseInt(process.versions.node, 10) < 24, 'run it on the Node of AdonisJS 6')

const NAMESPACE = 'exo-upgrade'
const QUEUE = 'webhooks'
const EMAIL = 'upgrade@example.com'
const RETRY_WAIT = 10 // seconds: the retry after the failed attempt waits in Redis this long

/** What both apps share, over what their .env files say */
const shared = {
  HOST: '127.0.0.1',
  NODE_ENV: 'development',
  APP_KEY: v6.appKey,
  DB_DATABASE: DATABASE,
  EXO_NAMESPACE: NAMESPACE,
  EXO_QUEUE: QUEUE,
  EXO_BACKOFF: `0s,${RETRY_WAIT}s,1s`,
  EXO_ALLOW_PRIVATE_NETWORKS: 'true', // the receiver is on loopback
}
const envOn = (port) => ({
  ...shared,
  PORT: String(port),
  APP_URL: `http://127.0.0.1:${port}`,
})
const v6Env = envOn(3384)
const v7Env = envOn(3385)

/** While true, the receiver answers 500 to what verifies */
let failing = false
const receiver = createReceiver(v6, (entry) => (failing && entry.verified ? 500 : undefined))

const onCreateOf = (orderId) =>
  receiver.requests.filter(
    (r) => r.payload?.event === 'on_create' && r.payload?.data?.id === orderId
  )

/** Jobs of the namespace in BullMQ's lists and sets of `state` (wait, delayed, active…) */
async function jobsIn(state) {
  const client = redis(v6)
  try {
    let count = 0
    for (const key of await client.keys(`*:${NAMESPACE}.${QUEUE}:${state}`)) {
      const type = await client.type(key)
      count += type === 'list' ? await client.llen(key) : await client.zcard(key)
    }
    return count
  } finally {
    client.disconnect()
  }
}

async function main() {
  step('clearing the namespace on Redis and starting the receiver')
  await clearNamespace(v6, NAMESPACE)
  const receiverUrl = await receiver.listen()
  const db = await database(v6, DATABASE)
  try {
    return await upgrade(db, receiverUrl)
  } finally {
    await db.end()
  }
}

async function upgrade(db, receiverUrl) {
  const v6Origin = v6Env.APP_URL
  const v7Origin = v7Env.APP_URL

  step(`AdonisJS 6 (Node ${process.version}): the HTTP server on ${v6Origin} and exo:work`)
  const [v6Server, v6Worker] = await Promise.all([
    startServer(v6, v6Origin, v6Env),
    startWorker(v6, NAMESPACE, v6Env),
  ])

  step('AdonisJS 6: exo:user, then POST /exo-api/webhooks')
  const token = await createUser(
    v6,
    { email: EMAIL, password: 'upgrade-password', name: 'Upgrade Test' },
    v6Env
  )
  const { rows: users } = await db.query('SELECT id FROM users WHERE email = $1', [EMAIL])
  const userId = users[0].id
  const created = await api(v6Origin, token, 'POST', '/exo-api/webhooks', {
    name: 'Upgrade receiver',
    url: receiverUrl,
    resource: 'order',
    events: ['on_create'],
  })
  assert.equal(created.status, 201, `POST /exo-api/webhooks: ${JSON.stringify(created.body)}`)
  const subscription = created.body
  receiver.secret = subscription.secret
  const storedSecret = async () =>
    (await db.query('SELECT secret FROM exo_subscriptions WHERE id = $1', [subscription.id]))
      .rows[0].secret
  const v6StoredSecret = await storedSecret()
  assert.equal(v6StoredSecret.split('.').length, 3, 'not stored as AdonisJS 6 encrypts')

  step('AdonisJS 6: an order whose first attempt gets a 500; exo:work stops, the retry waits')
  failing = true
  const retried = await createOrder(v6, userId, 500, v6Env)
  const [failed] = await waitFor("the first attempt of the retried order's on_create", () =>
    onCreateOf(retried).length ? onCreateOf(retried) : null
  )
  assert.equal(failed.status, 500)
  const stoppedV6Worker = await stop(v6Worker)
  assert.equal(stoppedV6Worker.code, 0, `exo:work exited with ${JSON.stringify(stoppedV6Worker)}`)
  failing = false
  assert.equal(onCreateOf(retried).length, 1, 'AdonisJS 6 retried before exo:work stopped')
  const delayed = await jobsIn('delayed')
  assert.ok(delayed >= 1, `no job in the delayed set of ${NAMESPACE}.${QUEUE}`)

  step('AdonisJS 6, no worker running: orders whose events wait in Redis')
  const orders = []
  for (const total of [101, 102, 103]) orders.push(await createOrder(v6, userId, total, v6Env))
  const waiting = await jobsIn('wait')
  assert.ok(waiting >= 1, `no job waits in ${NAMESPACE}.${QUEUE} for the orders' events`)
  console.log(`   in Redis: ${waiting} job(s) waiting, ${delayed} delayed`)

  step('stopping the AdonisJS 6 HTTP server')
  await stop(v6Server)
  assert.deepEqual(orders.flatMap(onCreateOf), [], 'an order was delivered with no worker running')

  step(`AdonisJS 7 (Node 24): migration:run with the AdonisJS 6 app's migrations runs none`)
  const countMigrations = async () =>
    Number((await db.query('SELECT count(*) AS n FROM adonis_schema')).rows[0].n)
  const migrated = await countMigrations()
  await ace(v7, ['migration:run'], v7Env)
  assert.equal(await countMigrations(), migrated, 'AdonisJS 7 ran migrations again')

  step(`AdonisJS 7: exo:work and the HTTP server on ${v7Origin}`)
  const upgraded = Date.now()
  const [v7Server, v7Worker] = await Promise.all([
    startServer(v7, v7Origin, v7Env),
    startWorker(v7, NAMESPACE, v7Env),
  ])

  step("AdonisJS 7's exo:work delivers every order's event, signed with the secret of AdonisJS 6")
  const delivered = (orderId) => onCreateOf(orderId).find((r) => r.status === 200)
  await waitFor(
    'the deliveries of the orders made under AdonisJS 6',
    () => [...orders, retried].every(delivered),
    (RETRY_WAIT + 30) * 1000
  )
  // Time for a second delivery of any of them to arrive
  await new Promise((done) => setTimeout(done, 2000))
  const unverified = receiver.requests.filter((r) => !r.verified)
  assert.deepEqual(unverified, [], 'requests that do not verify with the secret of AdonisJS 6')
  for (const orderId of [...orders, retried]) {
    const accepted = onCreateOf(orderId).filter((r) => r.status === 200)
    assert.equal(
      accepted.length,
      1,
      `order ${orderId}'s on_create arrived ${accepted.length} times`
    )
  }
  const ids = receiver.requests.filter((r) => r.status === 200).map((r) => r.headers['webhook-id'])
  assert.equal(new Set(ids).size, ids.length, `a webhook-id arrived twice: ${ids.join(', ')}`)
  assert.equal(
    delivered(retried).headers['webhook-id'],
    failed.headers['webhook-id'],
    'the retry is not the same message as the failed attempt'
  )
  assert.equal(await jobsIn('wait'), 0, 'jobs still wait in Redis')
  assert.equal(await jobsIn('delayed'), 0, 'jobs still delayed in Redis')
  console.log(
    `   ${ids.length} deliveries, the last ${((Date.now() - upgraded) / 1000).toFixed(1)} s after AdonisJS 7 started`
  )

  step('AdonisJS 7: GET /exo-api/whoami with the token made under AdonisJS 6')
  const whoami = await api(v7Origin, token, 'GET', '/exo-api/whoami')
  assert.equal(whoami.status, 200, `GET /exo-api/whoami: ${JSON.stringify(whoami.body)}`)
  assert.equal(whoami.body.email, EMAIL)

  step('AdonisJS 7: POST /exo-api/webhooks/:id/ping, signed with the secret of AdonisJS 6')
  const ping = await api(v7Origin, token, 'POST', `/exo-api/webhooks/${subscription.id}/ping`)
  const pinged = receiver.requests.find((r) => r.payload?.event === 'ping')
  assert.ok(pinged, `the receiver got no ping (${ping.status} ${JSON.stringify(ping.body)})`)
  assert.ok(pinged.verified, `the ping does not verify with the secret of AdonisJS 6`)
  assert.equal(ping.status, 200, `POST …/ping: ${JSON.stringify(ping.body)}`)
  assert.equal(ping.body.http_status, 200)
  assert.equal(await storedSecret(), v6StoredSecret, 'AdonisJS 7 rewrote the stored secret')

  step('stopping AdonisJS 7: exo:work, then the HTTP server')
  const stoppedV7Worker = await stop(v7Worker)
  assert.equal(stoppedV7Worker.code, 0, `exo:work exited with ${JSON.stringify(stoppedV7Worker)}`)
  await stop(v7Server)
  return `${orders.length + 1} events from AdonisJS 6 delivered once each by AdonisJS 7 (one after a failed attempt), the token and the secret carried over`
}

await runScript('upgrade test', main, () => receiver.close())
