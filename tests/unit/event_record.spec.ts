import { setTimeout as sleep } from 'node:timers/promises'
import { test } from '@japa/runner'
import { eventBody, newEventId, preciseTimestamp } from '../../src/recording/event_record.js'

test.group('Event record', () => {
  test('timestamps are ISO-8601 UTC with microseconds', ({ assert }) => {
    const timestamp = preciseTimestamp()
    assert.match(timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    assert.closeTo(Date.parse(timestamp), Date.now(), 1000)
  })

  test('timestamps follow the clock into the next second', async ({ assert }) => {
    const first = preciseTimestamp()
    // Into the next second of the clock: what the test is about
    await sleep(1005 - (Date.now() % 1000))
    const next = preciseTimestamp()
    assert.isAbove(Date.parse(next), Date.parse(first))
    assert.closeTo(Date.parse(next), Date.now(), 50)
  })

  test('event ids are evt_ and a sortable ULID', ({ assert }) => {
    const first = newEventId()
    const second = newEventId()
    assert.match(first, /^evt_[0-9A-HJKMNP-TV-Z]{26}$/)
    assert.notEqual(first, second)
  })

  test('the body keeps the contract order and the stored data byte for byte', ({ assert }) => {
    const body = eventBody({
      id: 'evt_1',
      event: 'on_update',
      resource: 'order',
      data: '{"total":10,"note":"a \\"quoted\\" word"}',
      occurredAt: '2026-03-28T14:30:00.123456Z',
    })
    assert.equal(
      body,
      '{"id":"evt_1","event":"on_update","resource":"order","data":{"total":10,"note":"a \\"quoted\\" word"},"timestamp":"2026-03-28T14:30:00.123456Z"}'
    )
    assert.deepEqual(Object.keys(JSON.parse(body)), [
      'id',
      'event',
      'resource',
      'data',
      'timestamp',
    ])
  })
})
