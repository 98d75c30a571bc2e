import { randomBytes, randomUUID } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import { WebhookSubscription } from 'adonis-exo'
import env from '#start/env'
import { apiPath } from '#tests/helpers/api'
import {
  apiUser,
  attemptsOf,
  deleteSubscriptions,
  subscriptionBody,
} from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'
import { startReceiver } from '#tests/helpers/receiver'

const random = (bytes: number) => randomBytes(bytes).toString('base64url')

/**
 * Everything the process wrote to the log file and the workers' logs. The
 * logger writes through a worker thread, in order: once a line logged now is
 * in the file, so is every line before it.
 */
async function everyLog() {
  const logFile = env.get('LOG_FILE')
  if (logFile) {
    const mark = `secrets spec: all logged ${randomUUID()}`
    // At the level the logger writes, whichever LOG_LEVEL the run has
    logger.log(logger.level as 'info', mark)
    await eventually(
      () => readFile(app.makePath(logFile), 'utf8'),
      (text) => text.includes(mark),
      { what: 'The log file flushed' }
    )
  }
  const names = await readdir(app.tmpPath())
  const files = names.filter((name) => name.endsWith('.log'))
  const texts = await Promise.all(files.map((name) => readFile(app.tmpPath(name), 'utf8')))
  if (logFile) texts.push(await readFile(app.makePath(logFile), 'utf8'))
  return texts.join('\n')
}

/** Every column of every Exo table, as text */
async function everyRow() {
  const tables = [
    'exo_subscriptions',
    'exo_deliveries',
    'exo_events',
    'exo_event_batches',
    'exo_api_tokens',
    'exo_idempotency_keys',
  ]
  const rows = await Promise.all(tables.map((table) => db.from(table).select('*')))
  return JSON.stringify(rows)
}

test.group('Security | secrets stay secret', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('no secret in clear in the database, the logs or any answer after its one-time display', async ({
    client,
    assert,
  }) => {
    const receiver = await startReceiver()
    const { token } = await apiUser(client)
    const secret = `whsec_${randomBytes(32).toString('base64')}`
    const password = random(18)
    const secretHeaderValue = random(18)
    // Its first answer, the secret in it, is kept for the key's retries
    const created = await client
      .post(await apiPath('/webhooks'))
      .bearerToken(token)
      .header('Idempotency-Key', 'security-create')
      .json(
        subscriptionBody(receiver.url, {
          secret,
          auth: { type: 'basic', username: 'exo', password },
          secret_header: { name: 'X-Shared', value: secretHeaderValue },
        })
      )
    created.assertStatus(201)
    assert.equal(created.body().secret, secret, 'shown once, on create')
    const path = await apiPath(`/webhooks/${created.body().id}`)

    const rotated = await client
      .post(`${path}/rotate-secret`)
      .bearerToken(token)
      .json({ grace_period: 3600 })
    rotated.assertStatus(200)
    const newSecret: string = rotated.body().secret
    const bearer = random(24)
    const patched = await client
      .patch(path)
      .bearerToken(token)
      .json({ auth: { type: 'bearer', token: bearer } })
    patched.assertStatus(200)
    const ping = await client.post(`${path}/ping`).bearerToken(token)
    ping.assertStatus(200)
    assert.equal(receiver.received[0].headers['authorization'], `Bearer ${bearer}`)
    assert.equal(receiver.received[0].headers['x-shared'], secretHeaderValue)
    const [attempt] = await attemptsOf(created.body().id, (attempts) => attempts.length > 0)

    const secrets = { secret, newSecret, password, bearer, secretHeaderValue, token }
    const answers = await Promise.all(
      [
        path,
        await apiPath('/webhooks'),
        `${path}/deliveries`,
        `${path}/deliveries/${attempt.id}`,
      ].map(async (url) => {
        const response = await client.get(url).bearerToken(token)
        return JSON.stringify(response.body())
      })
    )
    const places = {
      'the answers after display': [patched, ping]
        .map((r) => JSON.stringify(r.body()))
        .concat(answers)
        .join('\n'),
      'the database': await everyRow(),
      'the logs': await everyLog(),
    }
    for (const [place, text] of Object.entries(places)) {
      for (const [name, value] of Object.entries(secrets)) {
        assert.notInclude(text, value, `${name} in ${place}`)
      }
    }
    // The base64 part alone is the Standard Webhooks key: not stored either
    assert.notInclude(places['the database'], newSecret.slice('whsec_'.length))
    assert.equal(JSON.parse(answers[0]).masked_secret, `whsec_****${newSecret.slice(-4)}`)
    await receiver.close()
  })

  test('credentials in a URL written by the app itself are masked in every answer', async ({
    client,
    assert,
  }) => {
    const { user, token } = await apiUser(client)
    const password = random(18)
    const subscription = await WebhookSubscription.create({
      userId: user.id,
      name: 'Written by the app',
      url: `https://crm:${password}@example.com/hook`,
      resource: 'order',
      events: ['on_create'],
    })

    const show = await client.get(await apiPath(`/webhooks/${subscription.id}`)).bearerToken(token)
    const list = await client.get(await apiPath('/webhooks')).bearerToken(token)
    assert.equal(show.body().url, 'https://****:****@example.com/hook')
    assert.equal(list.body().data[0].url, 'https://****:****@example.com/hook')
    assert.notInclude(JSON.stringify([show.body(), list.body()]), password)
  })
})
