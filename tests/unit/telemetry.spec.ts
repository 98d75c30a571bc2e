import { test } from '@japa/runner'
import { registerTestSdk, total } from '../app/tests/helpers/telemetry.js'
import { pipelineMetrics } from '../../src/telemetry/metrics.js'
import { endFanOut, startFanOut, traceRecord } from '../../src/telemetry/spans.js'
import { carryingTraces, withTrace } from '../../src/telemetry/trace_context.js'
import type { EventRecord } from '../../src/types.js'

function anEvent(id = 'evt_1'): EventRecord {
  return {
    id,
    resource: 'order',
    event: 'on_create',
    data: '{"total":1}',
    ownerId: null,
    environment: 'test',
    occurredAt: '2026-01-15T12:00:00.000000Z',
  }
}

test.group('Telemetry', () => {
  test('without an SDK, nothing is carried: jobs stay as they were', ({ assert }) => {
    const event = anEvent()
    assert.isUndefined(traceRecord(event))
    const job = { id: 'dlv_1', deliveryIds: ['dlv_1'] }
    assert.strictEqual(carryingTraces(job, [event]), job)
    assert.strictEqual(withTrace(event, undefined), event)
  })

  test('an SDK registered after Exo counted once is used from the next event on', async ({
    assert,
    cleanup,
  }) => {
    pipelineMetrics.eventsRecorded([anEvent()])
    const sdk = registerTestSdk()
    cleanup(() => sdk.unregister())
    pipelineMetrics.eventsRecorded([anEvent(), anEvent()])

    const points = await sdk.metrics()
    assert.deepEqual(
      points
        .filter((point) => point.name === 'exo.events.recorded')
        .map((point) => [point.attributes, point.value]),
      [[{ 'exo.resource': 'order', 'exo.event.name': 'on_create' }, 2]]
    )
    assert.equal(total(points, 'exo.events.recorded', { 'exo.resource': 'order' }), 2)
  })

  test('the carrier of a recording makes the fan-out its child, through a job', ({
    assert,
    cleanup,
  }) => {
    const sdk = registerTestSdk()
    cleanup(() => sdk.unregister())
    const event = anEvent()
    const carrier = traceRecord(event)!
    assert.match(carrier.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)

    // What a delivery job carries, through its JSON
    const job = JSON.parse(
      JSON.stringify(carryingTraces({ deliveryIds: ['dlv_1'] }, [{ ...event, trace: carrier }]))
    )
    const received = withTrace(anEvent(), job.traces)
    endFanOut(new Map([[event.id, startFanOut(received)]]), new Map([[event.id, [{}, {}]]]))

    const [record, fanOut] = sdk.spans()
    assert.equal(record.name, 'exo.record')
    assert.equal(fanOut.name, 'exo.fan_out')
    assert.equal(fanOut.traceId, record.traceId)
    assert.equal(fanOut.parentSpanId, record.spanId)
    assert.deepEqual(fanOut.attributes, {
      'exo.event.id': 'evt_1',
      'exo.resource': 'order',
      'exo.event.name': 'on_create',
      'exo.fan_out.attempts': 2,
    })
  })

  test("a job's carriers are read for their own event only", ({ assert }) => {
    const traces = JSON.parse('{"__proto__": {"traceparent": "x"}, "evt_2": {"traceparent": "y"}}')
    assert.strictEqual(withTrace(anEvent('toString'), traces).trace, undefined)
    assert.deepEqual(withTrace(anEvent('evt_2'), traces).trace, { traceparent: 'y' })
  })
})
