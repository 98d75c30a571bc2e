import { test } from '@japa/runner'
import { Webhook } from 'standardwebhooks'
import { WebhookDelivery } from 'adonis-exo'
import {
  apiSubscribedReceiver,
  apiSubscription,
  deleteSubscriptions,
  succeededFirstAttempt,
} from '#tests/helpers/api_fixtures'
import type { ExoApi } from '#tests/helpers/api'
import { closedUrl } from '#tests/helpers/receiver'

function ping(api: ExoApi, id: number) {
  return api.post(`/webhooks/${id}/ping`)
}

/**
 * Pings the subscription: the answer, and how long the call took in all.
 */
async function timedPing(api: ExoApi, id: number) {
  const startedAt = performance.now()
  const response = await ping(api, id)
  return { response, elapsedMs: performance.now() - startedAt }
}

test.group('API | POST /webhooks/:id/ping', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('a live receiver: 200 {http_status, duration_ms}, and it got a signed ping', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { receiver, api, id, secret } = await apiSubscribedReceiver(
      { client, cleanup },
      { delayMs: 150 }
    )

    const { response, elapsedMs } = await timedPing(api, id)
    response.assertStatus(200)
    assert.deepEqual(Object.keys(response.body()).sort(), ['duration_ms', 'http_status'])
    assert.equal(response.body().http_status, 200)
    assert.isTrue(Number.isInteger(response.body().duration_ms))
    assert.isAtLeast(response.body().duration_ms, 150, 'the receiver took 150 ms to answer')
    assert.isAtMost(response.body().duration_ms, elapsedMs, 'within the call')

    assert.lengthOf(receiver.received, 1, 'the ping was sent before the answer')
    const [request] = receiver.received
    assert.equal(request.json.event, 'ping')
    assert.equal(request.json.resource, 'order')
    assert.match(request.json.id, /^evt_/)
    assert.equal(request.headers['webhook-id'], request.json.id)
    assert.deepEqual(new Webhook(secret).verify(request.body, request.headers as any), request.json)
  })

  test('a receiver answering 500: 502 {error, http_status: 500, duration_ms}', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { receiver, api, id } = await apiSubscribedReceiver({ client, cleanup }, { status: 500 })

    const { response, elapsedMs } = await timedPing(api, id)
    response.assertStatus(502)
    assert.deepEqual(Object.keys(response.body()).sort(), ['duration_ms', 'error', 'http_status'])
    assert.equal(response.body().http_status, 500)
    assert.equal(response.body().error, 'HTTP 500')
    assert.isTrue(Number.isInteger(response.body().duration_ms))
    assert.isAtMost(response.body().duration_ms, elapsedMs)
    assert.lengthOf(receiver.received, 1)
  })

  test('a redirect is a failure too: 502 with its status', async ({ client, assert, cleanup }) => {
    const { api, id } = await apiSubscribedReceiver({ client, cleanup }, { status: 302 })

    const response = await ping(api, id)
    response.assertStatus(502)
    assert.equal(response.body().http_status, 302)
  })

  test('a closed port: 502 with http_status null and the connection error', async ({
    client,
    assert,
  }) => {
    const { api, id } = await apiSubscription(client, await closedUrl())

    const { response, elapsedMs } = await timedPing(api, id)
    response.assertStatus(502)
    assert.deepEqual(Object.keys(response.body()).sort(), ['duration_ms', 'error', 'http_status'])
    assert.isNull(response.body().http_status)
    assert.match(response.body().error, /ECONNREFUSED/)
    assert.isTrue(Number.isInteger(response.body().duration_ms))
    assert.isAtMost(response.body().duration_ms, elapsedMs)
  })

  test('the ping shows in the deliveries log', async ({ client, assert, cleanup }) => {
    const { receiver, api, id } = await apiSubscribedReceiver({ client, cleanup })

    const pinged = await ping(api, id)
    const [request] = receiver.received

    const log = await api.get(`/webhooks/${id}/deliveries`)
    log.assertStatus(200)
    assert.lengthOf(log.body().data, 1)
    assert.containsSubset(log.body().data[0], {
      id: request.headers['x-exo-delivery'],
      subscription_id: id,
      event_id: request.json.id,
      ...succeededFirstAttempt('ping'),
      duration_ms: pinged.body().duration_ms,
    })
  })

  test('a failed ping is logged and never retried', async ({ client, assert, cleanup }) => {
    const { receiver, api, id } = await apiSubscribedReceiver({ client, cleanup }, { status: 503 })

    const response = await ping(api, id)
    response.assertStatus(502)

    // Sent and logged before the answer, with any retry it would have had
    const attempts = await WebhookDelivery.query().where('subscription_id', id)
    assert.deepEqual(
      attempts.map((attempt) => [attempt.status, attempt.httpStatus]),
      [['failed', 503]]
    )
    assert.lengthOf(receiver.received, 1)
  })
})
