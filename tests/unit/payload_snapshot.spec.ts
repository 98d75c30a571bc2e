import { test } from '@japa/runner'
import fc from 'fast-check'
import { DateTime } from 'luxon'
import { payloadSnapshot } from '../../src/recording/payload_snapshot.js'

const zones = ['UTC', 'system', 'Europe/Paris', 'America/St_Johns', 'UTC+5:45']

const dateTime = fc
  .tuple(fc.date({ noInvalidDate: true }), fc.constantFrom(...zones))
  .map(([date, zone]) => DateTime.fromJSDate(date, { zone }))

const leaf = fc.oneof(
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  dateTime
)

const { payload: anyPayload } = fc.letrec((tie) => ({
  payload: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('payload'), { maxLength: 5 }),
  object: fc.dictionary(fc.string(), tie('payload'), { maxKeys: 6 }),
}))

/** A deep copy, so that the values fast-check generates are never changed */
function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone)
  if (value && typeof value === 'object' && !DateTime.isDateTime(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, clone(item)]))
  }
  return value
}

/** Changes every object and array of `value` in place */
function scramble(value: unknown) {
  if (Array.isArray(value)) {
    value.forEach(scramble)
    value.push('added', value.length)
    value[0] = 'changed'
  } else if (value && typeof value === 'object' && !DateTime.isDateTime(value)) {
    const record = value as Record<string, unknown>
    for (const key of Object.keys(record)) {
      scramble(record[key])
      if (record[key] === null || typeof record[key] !== 'object') record[key] = 'changed'
    }
    record.added = true
  }
}

class Money {
  constructor(public cents: number) {}
  toJSON() {
    return `${this.cents / 100} EUR`
  }
}

test.group('Payload snapshot', () => {
  test('gives the JSON the payload had when taken, whatever changes after', ({ assert }) => {
    fc.assert(
      fc.property(anyPayload, (generated) => {
        const value = clone(generated)
        const expected = JSON.stringify(value ?? null)
        const json = payloadSnapshot(value)
        scramble(value)
        assert.equal(json(), expected)
        assert.equal(json(), expected)
      })
    )
  })

  test('serializes at once what it cannot copy, so it does not change after', ({ assert }) => {
    const when = new Date('2026-11-30T10:00:00.000Z')
    const price = new Money(1250)
    const items = new Map([['a', 1]])
    const payload = { when, price, items, nested: [{ when }] }
    const json = payloadSnapshot(payload)

    when.setUTCFullYear(2000)
    price.cents = 1
    const expected =
      '{"when":"2026-11-30T10:00:00.000Z","price":"12.5 EUR","items":{},' +
      '"nested":[{"when":"2026-11-30T10:00:00.000Z"}]}'
    assert.equal(json(), expected)
  })

  test('a key named __proto__ stays a key', ({ assert }) => {
    const payload = JSON.parse('{"__proto__":{"admin":true},"id":1}')
    assert.equal(payloadSnapshot(payload)(), '{"__proto__":{"admin":true},"id":1}')
  })

  test('a payload JSON cannot take fails when taken, not later', ({ assert }) => {
    assert.throws(() => payloadSnapshot({ id: 10n }), /BigInt/)
    const cycle: Record<string, unknown> = { id: 1 }
    cycle.self = { parent: cycle }
    assert.throws(() => payloadSnapshot(cycle), /circular/)
  })

  test('no payload is null', ({ assert }) => {
    assert.equal(payloadSnapshot(undefined)(), 'null')
    assert.equal(payloadSnapshot(null)(), 'null')
  })
})
