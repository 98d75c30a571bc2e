import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { test } from '@japa/runner'
import type { TestContext } from '@japa/runner/core'
import Order from '#models/order'
import db from '@adonisjs/lucid/services/db'
import { apiUser, createSubscription, deleteSubscriptions } from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'
import { startReceiver } from '#tests/helpers/receiver'
import {
  registerTestSdk,
  startOtlpCollector,
  total,
  tracedWorkerEnv,
  type MetricPoint,
  type SpanRecord,
} from '#tests/helpers/telemetry'
import { runningWorker, startWorker } from '#tests/helpers/worker'

/** Values that must never reach a span or a metric */
const SECRETS = {
  bearer: 'bearer-token-of-the-receiver',
  password: 'basic-password-of-the-receiver',
  header: 'value-of-the-secret-header',
  path: 'path-secret-of-the-receiver',
  query: 'query-secret-of-the-receiver',
  payload: 'payload-value-never-in-telemetry',
}

/**
 * A user with an API token, and two subscriptions of theirs made through the
 * API, with credentials and secrets in their URLs: one to a receiver
 * answering 200, one to a receiver answering 500. Then an order of theirs is
 * saved, and both receivers get it.
 */
async function deliveredToBoth({ client, cleanup }: Pick<TestContext, 'client' | 'cleanup'>) {
  const caller = await apiUser(client)
  const okReceiver = await startReceiver({ cleanup })
  const failingReceiver = await startReceiver({ status: 500, cleanup })
  const ok = await createSubscription(
    caller.api,
    `${okReceiver.url}/${SECRETS.path}?key=${SECRETS.query}`,
    {
      auth: { type: 'bearer', token: SECRETS.bearer },
      secret_header: { name: 'X-Hook-Secret', value: SECRETS.header },
    }
  )
  const failing = await createSubscription(caller.api, failingReceiver.url, {
    auth: { type: 'basic', username: 'hook', password: SECRETS.password },
  })

  await Order.create({ userId: caller.user.id, total: 4242, status: SECRETS.payload })
  const [request] = await okReceiver.waitFor(1)
  await failingReceiver.waitFor(1)
  return {
    token: caller.token,
    ok: { id: ok.id as number, secret: ok.secret as string, port: new URL(okReceiver.url).port },
    failing: { id: failing.id as number, secret: failing.secret as string },
    eventId: request.json.id as string,
  }
}

/**
 * Runs the workers with OpenTelemetry's SDK registered (exporting to a
 * collector on loopback) and the test process with its in-memory exporters:
 * the save is traced here, the fan-out and the attempts in the worker.
 */
test.group('Telemetry | metrics and traces through @opentelemetry/api', (group) => {
  let sdk: ReturnType<typeof registerTestSdk>
  let collector: Awaited<ReturnType<typeof startOtlpCollector>>

  group.setup(async () => {
    sdk = registerTestSdk()
    collector = await startOtlpCollector()
    await runningWorker.current!.stop()
    // A failed attempt's retry waits an hour: none runs during these tests
    const traced = await startWorker({
      env: { ...tracedWorkerEnv(collector.url), EXO_BACKOFF: '0s,1h' },
    })
    return async () => {
      await traced.stop()
      await startWorker()
      await collector.close()
      await sdk.unregister()
    }
  })
  group.each.teardown(deleteSubscriptions)

  /** The worker's spans of the event once its fan-out and both attempts are there */
  function workerSpansOf(eventId: string) {
    return eventually(
      () => collector.spans().filter((span) => span.attributes['exo.event.id'] === eventId),
      (spans) =>
        spans.filter((span) => span.name === 'exo.fan_out').length === 1 &&
        spans.filter((span) => span.name === 'exo.deliver').length === 2,
      { what: `The fan-out and the two attempts of ${eventId} at the collector` }
    )
  }

  test('one trace: the save, its fan-out, each attempt', async ({ assert, client, cleanup }) => {
    const { ok, failing, eventId } = await deliveredToBoth({ client, cleanup })

    const records = sdk.spans().filter((span) => span.name === 'exo.record')
    const record = records.find((span) => span.attributes['exo.event.id'] === eventId)!
    assert.exists(record, 'the save made an exo.record span in the test process')
    assert.equal(record.kind, SpanKind.PRODUCER)
    assert.deepInclude(record.attributes, {
      'exo.resource': 'order',
      'exo.event.name': 'on_create',
    })

    const spans = await workerSpansOf(eventId)
    const fanOut = spans.find((span) => span.name === 'exo.fan_out')!
    assert.equal(fanOut.traceId, record.traceId, 'the fan-out continues the trace of the save')
    assert.equal(fanOut.parentSpanId, record.spanId)
    assert.equal(fanOut.kind, SpanKind.CONSUMER)
    assert.equal(fanOut.attributes['exo.fan_out.attempts'], 2)

    const deliver = (subscriptionId: number) =>
      spans.find(
        (span) =>
          span.name === 'exo.deliver' && span.attributes['exo.subscription.id'] === subscriptionId
      )!
    for (const span of [deliver(ok.id), deliver(failing.id)]) {
      assert.equal(span.traceId, record.traceId, 'each attempt is in the trace of the save')
      assert.equal(span.parentSpanId, record.spanId)
      assert.equal(span.kind, SpanKind.CLIENT)
      assert.equal(span.attributes['exo.attempt.number'], 1)
      assert.match(String(span.attributes['exo.delivery.id']), /^dlv_/)
      assert.equal(span.attributes['server.address'], '127.0.0.1')
      assert.equal(span.attributes['http.request.method'], 'POST')
    }
    assert.deepInclude(deliver(ok.id).attributes, {
      'server.port': Number(ok.port),
      'http.response.status_code': 200,
      'exo.attempt.outcome': 'success',
    })
    assert.equal(deliver(ok.id).status.code, SpanStatusCode.UNSET)
    assert.deepInclude(deliver(failing.id).attributes, {
      'http.response.status_code': 500,
      'exo.attempt.outcome': 'failed',
    })
    assert.deepEqual(deliver(failing.id).status, {
      code: SpanStatusCode.ERROR,
      message: 'HTTP 500',
    })
  })

  test('metrics: events, attempts by outcome, time, queue', async ({ assert, client, cleanup }) => {
    const recorded = { 'exo.resource': 'order', 'exo.event.name': 'on_create' }
    const succeeded = { 'exo.attempt.outcome': 'success', 'exo.resource': 'order' }
    const failed = { 'exo.attempt.outcome': 'failed', 'exo.resource': 'order' }
    // The worker's totals once they count the attempts of the tests before
    const before = { here: await sdk.metrics(), worker: await collector.nextMetrics() }

    const { eventId } = await deliveredToBoth({ client, cleanup })
    await workerSpansOf(eventId)
    const here = await sdk.metrics()
    // The worker exports every 100 ms: its totals once both outcomes are in
    const worker = await eventually(
      () => collector.metrics(),
      (points) =>
        total(points, 'exo.attempts', succeeded) >
          total(before.worker, 'exo.attempts', succeeded) &&
        total(points, 'exo.attempts', failed) > total(before.worker, 'exo.attempts', failed),
      { what: 'The attempts counted in the worker' }
    )
    const added = (points: MetricPoint[], old: MetricPoint[], name: string, attributes = {}) =>
      total(points, name, attributes) - total(old, name, attributes)

    assert.equal(added(here, before.here, 'exo.events.recorded', recorded), 1)
    assert.equal(added(worker, before.worker, 'exo.attempts', succeeded), 1)
    assert.equal(added(worker, before.worker, 'exo.attempts', failed), 1)
    assert.equal(
      added(worker, before.worker, 'exo.attempts', { ...failed, 'http.response.status_code': 500 }),
      1
    )
    assert.equal(added(worker, before.worker, 'exo.delivery.duration', succeeded), 1)
    assert.equal(added(worker, before.worker, 'exo.delivery.duration', failed), 1)
    assert.equal(added(worker, before.worker, 'exo.delivery.lag', recorded), 1)

    const units = Object.fromEntries([...here, ...worker].map((point) => [point.name, point.unit]))
    assert.deepEqual(units, {
      'exo.events.recorded': '{event}',
      'exo.attempts': '{attempt}',
      'exo.delivery.duration': 'ms',
      'exo.delivery.lag': 'ms',
      'exo.attempts.waiting': '{attempt}',
    })
    // The failed attempt's retry waits its hour, pending
    const waiting = worker.find((point) => point.name === 'exo.attempts.waiting')!
    assert.isAtLeast(waiting.value!, 1)
    for (const point of [...here, ...worker]) {
      assert.notProperty(point.attributes, 'exo.event.id', 'no id in a metric')
      assert.notProperty(point.attributes, 'exo.subscription.id', 'no id in a metric')
    }
  })

  test('an attempt the rate limit holds back stays in its trace', async ({
    assert,
    client,
    cleanup,
  }) => {
    const caller = await apiUser(client)
    const receiver = await startReceiver({ cleanup })
    const subscription = await createSubscription(caller.api, receiver.url, { rate_limit: 1 })

    // One a second: the second order's attempt waits its turn in a job of its own
    await Order.create({ userId: caller.user.id, total: 1, status: 'new' })
    await Order.create({ userId: caller.user.id, total: 2, status: 'new' })
    const [, held] = await receiver.waitFor(2)
    const eventId = held.json.id as string
    const putBack = await db
      .from('exo_deliveries')
      .where('subscription_id', subscription.id)
      .where('event_id', eventId)
      .firstOrFail()
    assert.match(putBack.job_id, /^wait/, 'the attempt was put back by the rate limit')

    const record = sdk
      .spans()
      .find((span) => span.name === 'exo.record' && span.attributes['exo.event.id'] === eventId)!
    const [deliver] = await eventually(
      () =>
        collector
          .spans()
          .filter(
            (span) => span.name === 'exo.deliver' && span.attributes['exo.event.id'] === eventId
          ),
      (spans) => spans.length === 1,
      { what: `The attempt of ${eventId} at the collector` }
    )
    assert.equal(deliver.traceId, record.traceId, 'the held attempt is in the trace of its save')
    assert.equal(deliver.parentSpanId, record.spanId)
  })

  test('no secret, credential or payload in any of them', async ({ assert, client, cleanup }) => {
    const { token, ok, failing, eventId } = await deliveredToBoth({ client, cleanup })
    await workerSpansOf(eventId)
    await eventually(
      () => collector.metrics(),
      (points) => points.some((point) => point.name === 'exo.delivery.lag'),
      { what: 'The worker metrics' }
    )

    const everything: (SpanRecord | MetricPoint)[] = [
      ...sdk.spans(),
      ...collector.spans(),
      ...(await sdk.metrics()),
      ...collector.metrics(),
    ]
    const exported = JSON.stringify(everything)
    assert.include(exported, eventId, 'the scan reads the spans of this event')
    const forbidden = {
      'whsec_': 'whsec_',
      'a signing secret': ok.secret,
      'the other signing secret': failing.secret,
      'the API token': token,
      ...SECRETS,
      'basic credentials': Buffer.from(`hook:${SECRETS.password}`).toString('base64'),
    }
    for (const [what, value] of Object.entries(forbidden)) {
      assert.notInclude(exported, value, `${what} reached the telemetry`)
    }
    for (const span of everything.filter((item): item is SpanRecord => 'traceId' in item)) {
      for (const value of Object.values(span.attributes)) {
        assert.notMatch(String(value), /\/hook|\?/, 'no receiver path or query in an attribute')
      }
    }
  })
})
