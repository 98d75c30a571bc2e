import { test } from '@japa/runner'
import { WebhookDelivery } from 'adonis-exo'
import type { ExoApi } from '#tests/helpers/api'
import {
  apiSubscribedReceiver,
  apiSubscription,
  attemptedOrder,
  attemptsOf,
  deleteSubscriptions,
  errorFields,
  settledAttempts,
} from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'
import { verifies } from '#tests/helpers/receiver'
import { ownWorker } from '#tests/helpers/worker'

/** The attempts of an event at the subscription, first to last */
function attemptsAt(subscriptionId: number, eventId: string) {
  return WebhookDelivery.query()
    .where('subscription_id', subscriptionId)
    .where('event_id', eventId)
    .orderBy('attempt')
}

/** Asks for a new attempt of the event's last one, as a user does once the receiver is back */
async function redeliver(api: ExoApi, subscriptionId: number, eventId: string) {
  const attempts = await attemptsAt(subscriptionId, eventId)
  const last = attempts.at(-1)!
  const response = await api.post(`/webhooks/${subscriptionId}/deliveries/${last.id}/redeliver`)
  response.assertStatus(202)
}

/**
 * Waits until the clock is in the next whole second: SQLite and MariaDB keep
 * an attempt's time to the second, so attempts on either side of a window's
 * bound must be a second apart.
 */
async function nextSecond() {
  const next = Math.floor(Date.now() / 1000 + 1) * 1000
  await eventually(
    () => Date.now(),
    (now) => now >= next,
    { every: 20, what: 'The next second' }
  )
}

/**
 * The worker of these tests makes one attempt per event (EXO_BACKOFF=0s), so
 * a failure is final, as after an outage that outlasted the retries; and it
 * waits a minute for an answer, so a request the receiver holds stays pending.
 */
test.group('API | POST /webhooks/:id/recover', (group) => {
  ownWorker(group, { EXO_BACKOFF: '0s', EXO_DELIVERY_TIMEOUT: '60s' })
  group.each.teardown(deleteSubscriptions)

  test('re-sends, signed, exactly the events whose last attempt in the window failed', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { receiver, user, api, id, secret } = await apiSubscribedReceiver({ client, cleanup })
    const send = () => attemptedOrder(user, receiver, id)

    receiver.respondWith(500)
    const early = await send()
    await nextSecond()
    // The window opens: a delivered event, then an outage
    receiver.respondWith(200)
    const delivered = await send()
    receiver.respondWith(500)
    const [lost, alsoLost, lostToo, fixed, inFlight] = [
      await send(),
      await send(),
      await send(),
      await send(),
      await send(),
    ]
    const ping = await api.post(`/webhooks/${id}/ping`)
    ping.assertStatus(502)
    receiver.respondWith(200)
    await redeliver(api, id, fixed)
    await receiver.waitFor(9)
    await settledAttempts(id)
    await nextSecond()
    // Past the window: another failed attempt of an event lost in it, and an event lost after it
    receiver.respondWith(500)
    await redeliver(api, id, lost)
    await receiver.waitFor(10)
    await settledAttempts(id)
    const late = await send()
    // An attempt still under way
    receiver.respondWith(200)
    receiver.hold()
    await redeliver(api, id, inFlight)
    await receiver.waitFor(12)

    const [opening] = await attemptsAt(id, delivered)
    const [, closing] = await attemptsAt(id, lost)
    assert.equal(closing.status, 'failed')
    const since = opening.createdAt.toISO()!
    const until = closing.createdAt.toISO()!
    const dryRun = async (body: Record<string, unknown>) => {
      const response = await api.post(`/webhooks/${id}/recover`).json({ ...body, dry_run: true })
      response.assertStatus(200)
      return response.body()
    }
    assert.deepEqual(await dryRun({ since, until }), { matched: 3 })
    // Without until, the window runs to now: the late event too
    assert.deepEqual(await dryRun({ since }), { matched: 4 })
    assert.lengthOf(receiver.received, 12, 'a dry run sends nothing')

    receiver.release()
    await settledAttempts(id)
    const recovered = await api.post(`/webhooks/${id}/recover`).json({ since, until })
    recovered.assertStatus(202)
    assert.deepEqual(recovered.body(), { queued: 3 })

    const received = await receiver.waitFor(15)
    const resent = received.slice(12)
    assert.sameMembers(
      resent.map((request) => request.json.id),
      [lost, alsoLost, lostToo]
    )
    for (const request of resent) {
      assert.isTrue(verifies(secret, request), 'signed with the subscription’s secret')
      assert.equal(request.headers['webhook-id'], request.json.id)
    }
    await settledAttempts(id)
    assert.lengthOf(receiver.received, 15, 'nothing else was sent')
    const lostAttempts = await attemptsAt(id, lost)
    assert.deepEqual(
      lostAttempts.map((attempt) => [attempt.attempt, attempt.status]),
      [
        [1, 'failed'],
        [2, 'failed'],
        [3, 'success'],
      ]
    )
    for (const untouched of [early, delivered, fixed, inFlight, late]) {
      assert.notInclude(
        resent.map((request) => request.json.id),
        untouched
      )
    }
    // Delivered since: nothing is left to recover in that window
    assert.deepEqual(await dryRun({ since, until }), { matched: 0 })
  })

  test('an inactive subscription is counted, but not recovered until enabled', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { receiver, user, api, id } = await apiSubscribedReceiver(
      { client, cleanup },
      { status: 500 }
    )
    const since = new Date(Date.now() - 60_000).toISOString()
    await attemptedOrder(user, receiver, id)
    const paused = await api.patch(`/webhooks/${id}`).json({ is_active: false })
    paused.assertStatus(200)

    const counted = await api.post(`/webhooks/${id}/recover`).json({ since, dry_run: true })
    counted.assertStatus(200)
    assert.deepEqual(counted.body(), { matched: 1 })
    const refused = await api.post(`/webhooks/${id}/recover`).json({ since })
    refused.assertStatus(422)
    assert.deepEqual(errorFields(refused), ['is_active'])
    assert.lengthOf(await attemptsOf(id), 1)

    const enabled = await api.patch(`/webhooks/${id}`).json({ is_active: true })
    enabled.assertStatus(200)
    receiver.respondWith(200)
    const recovered = await api.post(`/webhooks/${id}/recover`).json({ since })
    recovered.assertStatus(202)
    assert.deepEqual(recovered.body(), { queued: 1 })
    const [first, again] = await receiver.waitFor(2)
    assert.equal(again.json.id, first.json.id)
  })

  test('another user’s subscription is a 404, dry run or not', async ({ client, assert }) => {
    const { id } = await apiSubscription(client, 'https://example.com/hook')
    const { api } = await apiSubscription(client, 'https://example.com/other')
    for (const dryRun of [true, false]) {
      const response = await api
        .post(`/webhooks/${id}/recover`)
        .json({ since: '2020-01-01T00:00:00Z', dry_run: dryRun })
      response.assertStatus(404)
      assert.deepEqual(Object.keys(response.body()), ['message'])
    }
  })

  const refusals: { title: string; body: Record<string, unknown>; field: string }[] = [
    { title: 'no since', body: {}, field: 'since' },
    { title: 'since not a date', body: { since: 'yesterday' }, field: 'since' },
    { title: 'since not a string', body: { since: 12 }, field: 'since' },
    { title: 'since in the year 0', body: { since: '0000-01-01T00:00:00Z' }, field: 'since' },
    {
      title: 'until not a date',
      body: { since: '2026-01-01T00:00:00Z', until: 'tomorrow' },
      field: 'until',
    },
    {
      title: 'until before since',
      body: { since: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z' },
      field: 'until',
    },
    {
      title: 'until equal to since',
      body: { since: '2026-01-01T00:00:00Z', until: '2026-01-01T00:00:00Z' },
      field: 'until',
    },
    {
      title: 'dry_run not a boolean',
      body: { since: '2026-01-01T00:00:00Z', dry_run: 'yes' },
      field: 'dry_run',
    },
  ]

  test('refuses {title} with a 422 naming {field}')
    .with(refusals)
    .run(async ({ client, assert }, { body, field }) => {
      const { api, id } = await apiSubscription(client, 'https://example.com/hook')
      const response = await api.post(`/webhooks/${id}/recover`).json(body)
      response.assertStatus(422)
      assert.deepEqual(errorFields(response), [field])
    })
})
