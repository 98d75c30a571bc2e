import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import type { Page } from 'playwright-core'
import { DateTime } from 'luxon'
import { WebhookDelivery, WebhookSubscription } from 'adonis-exo'
import Order from '#models/order'
import { apiGet, createdByApi } from '#tests/helpers/api'
import { userWithToken, deleteSubscriptions, subscriptionBody } from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'
import {
  fillNewSubscription,
  openPage,
  signedInUser,
  signIn,
  subscriptionIdOf,
} from '#tests/helpers/browser'
import { loggedAttempt, nearestRank } from '#tests/helpers/logged_attempts'
import { receiverFor, verifies } from '#tests/helpers/receiver'

type Cleanup = (fn: () => Promise<void>) => void

interface Attempt {
  id: string
  event_id: string
  attempt: number
  status: string
  http_status: number | null
  duration_ms: number | null
  created_at: string
  event: string
}

/**
 * A signed-in user on the page of a subscription of theirs (made through
 * the API) that posts to a receiver of the test: what the page does, the
 * receiver and the API tell.
 */
async function onSubscriptionPage(
  cleanup: Cleanup,
  client: ApiClient,
  options: {
    receiver?: Parameters<typeof receiverFor>[1]
    subscription?: Record<string, unknown>
    javaScript?: boolean
  } = {}
) {
  const receiver = await receiverFor(cleanup, options.receiver)
  const { user, token, page } = await signedInUser(cleanup, { javaScript: options.javaScript })
  const body = subscriptionBody(receiver.url, options.subscription)
  const { id, secret } = await createdByApi(client, token, body)
  await page.goto(`/exo/webhooks/${id}`)

  const deliveries = async () => {
    const answer = await apiGet(client, token, `/webhooks/${id}/deliveries`)
    return answer.body.data as Attempt[]
  }
  return {
    receiver,
    token,
    page,
    id,
    secret,
    deliveries,
    /** The attempts the API lists once there are `count`, none pending */
    settled: (count: number) =>
      eventually(
        deliveries,
        (data) => data.length >= count && data.every((row) => row.status !== 'pending')
      ),
    /** An order of the user's, once the receiver got its event */
    async deliveredOrder() {
      await Order.create({ userId: user.id, total: 10, status: 'new' })
      const received = await receiver.waitFor(receiver.received.length + 1)
      return received[received.length - 1]
    },
    async ping() {
      await page.getByRole('button', { name: 'Send ping' }).click()
    },
  }
}

async function shownSecret(page: Page) {
  return page.locator('.one-time input').inputValue()
}

test.group("Dashboard | a subscription's page", (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('the secret shows once after create, and signs', async ({ assert, cleanup }) => {
    const receiver = await receiverFor(cleanup)
    const { page } = await signedInUser(cleanup)
    await fillNewSubscription(page, { name: 'Signed', url: receiver.url })
    await page.getByRole('button', { name: 'Create subscription' }).click()

    const secret = await shownSecret(page)
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
    assert.isTrue(await page.getByText('it is shown only this once').isVisible())
    const id = subscriptionIdOf(page)

    await page.getByRole('button', { name: 'Send ping' }).click()
    assert.isTrue(verifies(secret, receiver.received[0]), 'the shown secret signs the ping')

    for (const path of [`/exo/webhooks/${id}`, `/exo/webhooks/${id}/edit`, '/exo/dashboard']) {
      await page.goto(path)
      const html = await page.content()
      assert.notInclude(html, secret, path)
      assert.notInclude(html, secret.slice(6, 30), path)
    }
    assert.equal(await page.locator('.one-time').count(), 0)
  })

  test('credentials in a URL written by the app itself are masked on every page', async ({
    assert,
    cleanup,
  }) => {
    const { user, page } = await signedInUser(cleanup)
    const subscription = await WebhookSubscription.create({
      userId: user.id,
      name: 'Written by the app',
      url: 'https://crm:hunter2-in-url@example.com/hook',
      resource: 'order',
      events: ['on_create'],
    })

    const id = subscription.id
    for (const path of [
      `/exo/webhooks/${id}`,
      `/exo/webhooks/${id}/edit`,
      `/exo/webhooks/${id}/delete`,
      '/exo/dashboard',
    ]) {
      await page.goto(path)
      const html = await page.content()
      assert.notInclude(html, 'hunter2-in-url', path)
      assert.include(html, 'https://****:****@example.com/hook', path)
    }
  })

  test('rotating shows the new secret once', async ({ assert, client, cleanup }) => {
    const { receiver, page, secret: first, ping } = await onSubscriptionPage(cleanup, client)
    await page.getByRole('button', { name: 'Rotate' }).click()
    const second = await shownSecret(page)
    assert.notEqual(second, first)
    assert.isTrue(await page.getByText('Secret rotated: the old one no longer signs').isVisible())
    assert.include(await page.locator('.details').innerText(), `whsec_****${second.slice(-4)}`)

    await ping()
    assert.isTrue(verifies(second, receiver.received[0]))
    assert.isFalse(verifies(first, receiver.received[0]))
    assert.notInclude(await page.content(), second)

    // With a grace period, the old secret keeps signing alongside the new one
    await page.getByLabel('The old secret keeps signing').selectOption('3600')
    await page.getByRole('button', { name: 'Rotate' }).click()
    const third = await shownSecret(page)
    assert.isTrue(await page.getByText('the old one keeps signing for 1 hour').isVisible())
    await ping()
    assert.isTrue(verifies(third, receiver.received[1]))
    assert.isTrue(verifies(second, receiver.received[1]))
  })

  test('ping: the receiver, the log and the API see it', async ({ assert, client, cleanup }) => {
    const { receiver, page, deliveries, ping } = await onSubscriptionPage(cleanup, client)
    await ping()
    assert.match(
      await page.getByRole('status').first().innerText(),
      /Ping answered HTTP 200 in \d+ ms/
    )
    assert.lengthOf(receiver.received, 1)
    assert.equal(receiver.received[0].json.event, 'ping')
    const [attempt] = await deliveries()
    assert.containsSubset(attempt, { event: 'ping', status: 'success', http_status: 200 })
    const row = page.locator(`[data-attempt="${attempt.id}"]`)
    assert.match(await row.locator('summary').innerText(), /Succeeded[\s\S]*ping[\s\S]*200/)

    receiver.respondWith(500)
    await ping()
    assert.match(await page.getByRole('alert').first().innerText(), /Ping failed: HTTP 500/)
    const [failed] = await deliveries()
    assert.containsSubset(failed, { event: 'ping', status: 'failed', http_status: 500 })
    assert.match(
      await page.locator(`[data-attempt="${failed.id}"] summary`).innerText(),
      /Failed[\s\S]*500/
    )
  })

  test('an attempt opens to its request and response, no JS', async ({
    assert,
    client,
    cleanup,
  }) => {
    const { page, ping } = await onSubscriptionPage(cleanup, client, {
      receiver: { headers: { 'x-answer': 'yes' } },
      subscription: { auth: { type: 'bearer', token: 'receiver-bearer-token' } },
      javaScript: false,
    })
    await ping()

    const attempt = page.locator('details.attempt').first()
    assert.isFalse(await attempt.locator('.attempt-body').isVisible())
    await attempt.locator('summary').click()
    const body = await attempt.locator('.attempt-body').innerText()
    assert.include(body, '"event": "ping"')
    assert.include(body, 'webhook-id: evt_')
    assert.include(body, 'Authorization: [redacted]')
    assert.include(body, 'HTTP 200')
    assert.include(body, 'x-answer: yes')
    assert.notInclude(await page.content(), 'receiver-bearer-token')
  })

  test('redeliver sends the event again, as a new attempt', async ({ assert, client, cleanup }) => {
    const scene = await onSubscriptionPage(cleanup, client)
    const { receiver, page } = scene
    const original = await scene.deliveredOrder()
    const [first] = await scene.settled(1)

    await page.reload()
    const attempt = page.locator(`[data-attempt="${first.id}"]`)
    await attempt.locator('summary').click()
    await attempt.getByRole('button', { name: 'Redeliver this event' }).click()
    assert.isTrue(
      await page.getByText(`Event ${first.event_id} queued for a new attempt`).isVisible()
    )

    const [, again] = await receiver.waitFor(2)
    assert.equal(again.headers['webhook-id'], original.headers['webhook-id'])
    assert.equal(again.body, original.body)
    const attempts = await scene.settled(2)
    assert.deepEqual(
      attempts.map((row) => [row.event_id, row.attempt, row.status]),
      [
        [first.event_id, 2, 'success'],
        [first.event_id, 1, 'success'],
      ]
    )
  })

  test('replay re-sends events from an id, or since a moment', async ({
    assert,
    client,
    cleanup,
  }) => {
    const scene = await onSubscriptionPage(cleanup, client)
    const { receiver, page } = scene
    const before = new Date(Date.now() - 60_000)
    const first = await scene.deliveredOrder()
    const second = await scene.deliveredOrder()
    await scene.settled(2)
    await page.getByLabel('From event id').fill(second.json.id)
    await page.getByRole('button', { name: 'Replay events' }).click()
    assert.isTrue(await page.getByText('1 event queued again').isVisible())
    const [, , replayed] = await receiver.waitFor(3)
    assert.equal(replayed.json.id, second.json.id)

    await page.getByLabel('or since (UTC)').fill(before.toISOString().slice(0, 19))
    await page.getByRole('button', { name: 'Replay events' }).click()
    assert.isTrue(await page.getByText('2 events queued again').isVisible())
    const received = await receiver.waitFor(5)
    // Replayed events travel as separate jobs: their order is not guaranteed
    assert.sameMembers(
      received.slice(3).map((request) => request.json.id),
      [first.json.id, second.json.id]
    )
  })

  test('an inactive subscription offers no redeliver or replay', async ({
    assert,
    client,
    cleanup,
  }) => {
    const scene = await onSubscriptionPage(cleanup, client)
    const { page } = scene
    await scene.deliveredOrder()
    const [first] = await scene.settled(1)
    await WebhookSubscription.query().where('id', scene.id).update({ is_active: false })

    await page.reload()
    const attempt = page.locator(`[data-attempt="${first.id}"]`)
    await attempt.locator('summary').click()
    assert.isTrue(await attempt.locator('.attempt-body').isVisible())
    assert.equal(await page.getByRole('button', { name: 'Redeliver this event' }).count(), 0)
    assert.equal(await page.getByRole('button', { name: 'Replay events' }).count(), 0)
    assert.isTrue(
      await page
        .getByText('This subscription is inactive: enable it before sending its events again.')
        .isVisible()
    )
  })

  test('a replay names the field it misses', async ({ assert, client, cleanup }) => {
    const { page, deliveries } = await onSubscriptionPage(cleanup, client)
    await page.getByLabel('From event id').fill('evt_not_one_of_yours')
    await page.getByRole('button', { name: 'Replay events' }).click()
    assert.match(await page.locator('#event_id-error').innerText(), /No event of yours has that id/)
    assert.equal(await page.getByLabel('From event id').inputValue(), 'evt_not_one_of_yours')

    await page.getByLabel('From event id').fill('')
    await page.getByRole('button', { name: 'Replay events' }).click()
    assert.match(await page.locator('#event_id-error').innerText(), /event_id/)
    assert.deepEqual(await deliveries(), [])
  })

  test('the chart counts successes and failures', async ({ assert, client, cleanup }) => {
    const { receiver, page, ping } = await onSubscriptionPage(cleanup, client)
    const chart = page.locator('svg.chart')
    assert.equal(
      await chart.getAttribute('aria-label'),
      'Attempts in the last 24h: 0 succeeded, 0 failed'
    )

    for (const status of [200, 200, 500]) {
      receiver.respondWith(status)
      await ping()
    }
    assert.equal(
      await chart.getAttribute('aria-label'),
      'Attempts in the last 24h: 2 succeeded, 1 failed'
    )
    assert.equal(await chart.locator('rect.bar-success').count(), 1)
    assert.equal(await chart.locator('rect.bar-failed').count(), 1)
    assert.match(
      (await chart
        .locator('g', { has: page.locator('rect.bar-failed') })
        .locator('title')
        .textContent()) ?? '',
      /2 succeeded, 1 failed$/
    )

    await page.getByRole('link', { name: '7d' }).click()
    assert.equal(
      await chart.getAttribute('aria-label'),
      'Attempts in the last 7d: 2 succeeded, 1 failed'
    )
  })

  test('the chart puts each attempt in its period', async ({ assert, client, cleanup }) => {
    const { page, id } = await onSubscriptionPage(cleanup, client)
    const now = DateTime.now()
    const history: [string, 'success' | 'failed', DateTime][] = [
      ['recent-1', 'success', now.minus({ minutes: 20 })],
      ['recent-2', 'success', now.minus({ minutes: 20 })],
      ['hours-ago', 'failed', now.minus({ hours: 3 })],
      ['days-ago', 'success', now.minus({ days: 2 })],
      ['too-old', 'failed', now.minus({ days: 40 })],
    ]
    for (const [name, status, at] of history) {
      await WebhookDelivery.create({
        id: `dlv_chart_${name}_${id}`,
        subscriptionId: id,
        eventId: `evt_chart_${name}`,
        attempt: 1,
        status,
        httpStatus: status === 'success' ? 200 : 500,
        scheduledAt: at,
        completedAt: at,
        createdAt: at,
      })
    }

    await page.reload()
    const chart = page.locator('svg.chart')
    const label = () => chart.getAttribute('aria-label')
    assert.equal(await label(), 'Attempts in the last 24h: 2 succeeded, 1 failed')
    const titles = await chart.locator('title').allTextContents()
    assert.lengthOf(titles, 24)
    const hourOf = (at: DateTime) => at.toUTC().toFormat('HH:00')
    const bar = (count: string) => titles.filter((title) => title.endsWith(count))
    assert.lengthOf(bar('2 succeeded, 0 failed'), 1)
    assert.include(bar('2 succeeded, 0 failed')[0], `${hourOf(history[0][2])}–`)
    assert.lengthOf(bar('0 succeeded, 1 failed'), 1)
    assert.include(bar('0 succeeded, 1 failed')[0], `${hourOf(history[2][2])}–`)

    await page.getByRole('link', { name: '7d' }).click()
    assert.equal(await label(), 'Attempts in the last 7d: 3 succeeded, 1 failed')
    assert.lengthOf(await chart.locator('title').allTextContents(), 28)
    await page.getByRole('link', { name: '30d' }).click()
    assert.equal(await label(), 'Attempts in the last 30d: 3 succeeded, 1 failed')
  })

  test('the health panel shows what the attempts came to over 24 hours and 7 days, no JS', async ({
    assert,
    client,
    cleanup,
  }) => {
    const { receiver, page, id, ping, settled } = await onSubscriptionPage(cleanup, client, {
      javaScript: false,
    })
    const panel = page.getByRole('table', { name: 'Health' })
    const figures = (name: string) =>
      panel
        .locator('tr', { has: page.getByRole('rowheader', { name, exact: true }) })
        .locator('td')
        .allInnerTexts()
    assert.deepEqual(await figures('Success rate'), ['—', '—'])
    assert.deepEqual(await figures('Last error'), ['None', 'None'])

    // Three days ago: counted in the 7 days only
    await loggedAttempt(id, DateTime.now().minus({ days: 3 }), {
      status: 'success',
      httpStatus: 204,
      durationMs: 4000,
    })
    for (const status of [200, 200, 200, 500]) {
      receiver.respondWith(status)
      await ping()
    }
    const attempts = await settled(4)
    const pings = attempts.filter((attempt) => attempt.event === 'ping')
    const durations = pings.map((attempt) => attempt.duration_ms!)
    assert.lengthOf(durations, 4)

    assert.deepEqual(await figures('Attempts'), [
      '4 3 succeeded, 1 failed',
      '5 4 succeeded, 1 failed',
    ])
    assert.deepEqual(await figures('Success rate'), ['75.0 %', '80.0 %'])
    assert.deepEqual(await figures('Duration p50'), [
      `${nearestRank(durations, 0.5)} ms`,
      `${nearestRank([...durations, 4000], 0.5)} ms`,
    ])
    assert.deepEqual(await figures('Duration p95'), [
      `${nearestRank(durations, 0.95)} ms`,
      '4000 ms',
    ])
    assert.deepEqual(await figures('Status codes'), ['200 × 3 500 × 1', '200 × 3 204 × 1 500 × 1'])
    const [lastError, lastErrorOfTheWeek] = await figures('Last error')
    assert.match(lastError, /^HTTP 500\s/)
    assert.equal(lastErrorOfTheWeek, lastError)
  })

  test('another user’s subscription is a 404 page', async ({ assert, client, cleanup }) => {
    const { id, token } = await onSubscriptionPage(cleanup, client)
    const page = await openPage(cleanup)
    const { user } = await userWithToken()
    await signIn(page, user.email)
    for (const path of [
      `/exo/webhooks/${id}`,
      `/exo/webhooks/${id}/edit`,
      `/exo/webhooks/${id}/delete`,
    ]) {
      const response = await page.goto(path)
      assert.equal(response!.status(), 404, path)
      assert.isTrue(await page.getByText('There is nothing here').isVisible())
    }
    const toggle = await page.request.post(`/exo/webhooks/${id}/toggle`, {
      form: { _csrf: await page.locator('input[name=_csrf]').first().inputValue() },
      maxRedirects: 0,
    })
    assert.equal(toggle.status(), 404)
    const subscription = await apiGet(client, token, `/webhooks/${id}`)
    assert.isTrue(subscription.body.is_active)
  })
})
