/**
 * The smoke test of an AdonisJS starter app with adonis-exo installed, shared by both majors:
 * scripts/test_v6.sh runs it on Node 20 in tests/v6/.work/app (the web starter kit, AdonisJS 6),
 * scripts/test_v7.sh on Node 24 in tests/v7/.work/app (the hypermedia starter kit, AdonisJS 7),
 * once the app is installed, configured and migrated:
 *
 *   node tests/starters/smoke.mjs <app dir> [database]
 *
 * The major is the app's @adonisjs/core's; the database is exo_v<major> unless named; the
 * HTTP server listens on SMOKE_PORT, or on a free port.
 *
 * 1. a loopback receiver verifies each request with `verifyWebhook` (adonis-exo/receiver, as
 *    packed) and with the `standardwebhooks` package, with the secret it was given;
 * 2. the app's HTTP server and `node ace exo:work` run as child processes;
 * 3. `exo:user` makes a user and a token, `POST /exo-api/webhooks` a subscription,
 *    `order:create` an order (`Order.create`): the receiver gets its signed `on_create`;
 * 4. the dashboard's sign-in (CSRF token and cookies), then its subscriptions page;
 * 5. the secret is stored encrypted by the app (AdonisJS 7: its gcm encryptor); on AdonisJS 7
 *    a secret encrypted by AdonisJS 6 (@adonisjs/encryption 6, the APP_KEY) replaces it;
 *    the stored secret signs the ping and the next delivery;
 * 6. `exo:work` exits within 10 s of SIGTERM.
 *
 * Exits 1 with the failed step and the children's last output on any failure. What it shares
 * with tests/starters/upgrade.mjs is in tests/starters/host_app.mjs.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import {
  api,
  clearNamespace,
  createOrder,
  createReceiver,
  createUser,
  database,
  freePort,
  hostApp,
  runScript,
  startServer,
  startWorker,
  step,
  stop,
  waitFor,
} from './host_app.mjs'

if (!process.argv[2]) throw new Error('usage: node tests/starters/smoke.mjs <app dir> [database]')
const app = hostApp(process.argv[2])
const MAJOR = app.major
const DATABASE = process.argv[3] ?? `exo_v${MAJOR}`
const NAMESPACE = `exo-v${MAJOR}-smoke` // config/exo.ts of the app
const EMAIL = 'smoke@example.com'
const PASSWORD = `smoke-password-v${MAJOR}`
const SUBSCRIPTION_NAME = `V${MAJOR} smoke receiver`

const receiver = createReceiver(app)

/**
 * Cookies of the dashboard's session, as a browser keeps them
 */
class CookieJar {
  #cookies = new Map()
  store(response) {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';')
      const index = pair.indexOf('=')
      this.#cookies.set(pair.slice(0, index).trim(), pair.slice(index + 1))
    }
  }
  header() {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }
}

async function main() {
  step('clearing the namespace on Redis and starting the receiver')
  await clearNamespace(app, NAMESPACE)
  const receiverUrl = await receiver.listen()

  const port = process.env.SMOKE_PORT ? Number(process.env.SMOKE_PORT) : await freePort()
  const origin = `http://127.0.0.1:${port}`
  const env = {
    PORT: String(port),
    HOST: '127.0.0.1',
    APP_URL: origin,
    NODE_ENV: 'development',
    EXO_ALLOW_PRIVATE_NETWORKS: 'true', // the receiver is on loopback
  }

  step(`starting the HTTP server on ${origin} and node ace exo:work`)
  const [server, worker] = await Promise.all([
    startServer(app, origin, env),
    startWorker(app, NAMESPACE, env),
  ])

  step('node ace exo:user: a user and an API token')
  const token = await createUser(app, { email: EMAIL, password: PASSWORD, name: 'Smoke Test' }, env)

  const db = await database(app, DATABASE)
  try {
    const { rows: users } = await db.query('SELECT id FROM users WHERE email = $1', [EMAIL])
    assert.equal(users.length, 1, 'exo:user made no row in users')
    const userId = users[0].id

    step('POST /exo-api/webhooks with the bearer token (no CSRF token)')
    const { status, body: subscription } = await api(origin, token, 'POST', '/exo-api/webhooks', {
      name: SUBSCRIPTION_NAME,
      url: receiverUrl,
      resource: 'order',
      events: ['on_create'],
    })
    assert.equal(status, 201, `POST /exo-api/webhooks: ${JSON.stringify(subscription)}`)
    assert.match(subscription.secret, /^whsec_/, 'the subscription came without its secret')
    receiver.secret = subscription.secret

    const { rows: stored } = await db.query('SELECT secret FROM exo_subscriptions WHERE id = $1', [
      subscription.id,
    ])
    if (MAJOR >= 7) {
      assert.match(
        stored[0].secret,
        /^gcm\./,
        "the secret is not encrypted by the app's gcm encryptor"
      )
    } else {
      assert.ok(!stored[0].secret.includes(subscription.secret), 'the secret is stored in clear')
      assert.equal(stored[0].secret.split('.').length, 3, 'not encrypted (cipher.iv.hmac)')
    }

    step('node ace order:create: the receiver gets the signed on_create')
    const orderId = await createOrder(app, userId, 4200, env)
    const delivery = await waitFor('the on_create webhook at the receiver', () =>
      receiver.requests.find(
        (r) => r.payload?.event === 'on_create' && r.payload?.data?.id === orderId
      )
    )
    assert.ok(delivery.verified, `the on_create webhook does not verify: ${delivery.error}`)
    assert.deepEqual(delivery.payload.data, { id: orderId, total: 4200 })
    assert.equal(delivery.payload.resource, 'order')

    step('the dashboard: sign in at /exo/login, then the subscriptions page')
    const jar = new CookieJar()
    const loginPage = await fetch(`${origin}/exo/login`)
    jar.store(loginPage)
    const loginHtml = await loginPage.text()
    assert.equal(loginPage.status, 200, `GET /exo/login answered ${loginPage.status}`)
    const csrf = /name=["']_csrf["']\s+value=["']([^"']+)["']/.exec(loginHtml)?.[1]
    assert.ok(csrf, 'no _csrf field on /exo/login')
    const signIn = await fetch(`${origin}/exo/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'cookie': jar.header() },
      body: new URLSearchParams({ _csrf: csrf, email: EMAIL, password: PASSWORD }),
    })
    jar.store(signIn)
    assert.equal(signIn.status, 302, `POST /exo/login answered ${signIn.status}`)
    assert.match(
      signIn.headers.get('location') ?? '',
      /\/exo\/dashboard$/,
      'not sent on to the dashboard'
    )
    const dashboard = await fetch(`${origin}/exo/dashboard`, {
      redirect: 'manual',
      headers: { cookie: jar.header() },
    })
    const dashboardHtml = await dashboard.text()
    assert.equal(dashboard.status, 200, `GET /exo/dashboard answered ${dashboard.status}`)
    assert.ok(
      dashboardHtml.includes(SUBSCRIPTION_NAME),
      'the dashboard does not list the subscription'
    )

    if (MAJOR >= 7) {
      step('a secret encrypted under AdonisJS 6 signs the ping and the next delivery')
      const { Encryption } = await app.import('@adonisjs/encryption')
      const v6Secret = `whsec_${randomBytes(32).toString('base64')}`
      const v6Encrypted = new Encryption({ secret: app.appKey }).encrypt(v6Secret)
      assert.equal(v6Encrypted.split('.').length, 3, 'not the AdonisJS 6 format (cipher.iv.hmac)')
      await db.query(
        'UPDATE exo_subscriptions SET secret = $1, previous_secret = NULL WHERE id = $2',
        [v6Encrypted, subscription.id]
      )
      receiver.secret = v6Secret
    } else {
      step('the stored secret signs the ping and the next delivery')
    }
    const ping = await api(origin, token, 'POST', `/exo-api/webhooks/${subscription.id}/ping`)
    const pinged = receiver.requests.find((r) => r.payload?.event === 'ping')
    assert.ok(pinged, `the receiver got no ping (${ping.status} ${JSON.stringify(ping.body)})`)
    assert.ok(pinged.verified, `the ping does not verify with the stored secret: ${pinged.error}`)
    assert.equal(ping.status, 200, `POST …/ping: ${JSON.stringify(ping.body)}`)
    assert.equal(ping.body.http_status, 200)

    const secondId = await createOrder(app, userId, 99, env)
    const second = await waitFor("exo:work's delivery of the second order", () =>
      receiver.requests.find(
        (r) => r.payload?.event === 'on_create' && r.payload?.data?.id === secondId
      )
    )
    assert.ok(second.verified, `exo:work signed without the stored secret: ${second.error}`)
    assert.ok(
      receiver.requests.every((r) => r.verified),
      `a request did not verify: ${JSON.stringify(receiver.requests.filter((r) => !r.verified))}`
    )
  } finally {
    await db.end()
  }

  step('SIGTERM to exo:work: it exits within 10 s')
  const stopping = Date.now()
  const stopped = await stop(worker)
  assert.equal(stopped.code, 0, `exo:work exited with ${JSON.stringify(stopped)}`)
  console.log(`   exo:work exited in ${((Date.now() - stopping) / 1000).toFixed(1)} s`)

  step('stopping the HTTP server')
  await stop(server)
  return `${receiver.requests.length} verified requests at the receiver`
}

await runScript(`v${MAJOR} smoke test`, main, () => receiver.close())
