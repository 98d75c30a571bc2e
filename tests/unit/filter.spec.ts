import { test } from '@japa/runner'
import fc from 'fast-check'
import { compileFilter, matchesFilter, OPERATORS } from '../../src/filters/filter.js'
import { FILTER_LIMITS, filterProblems } from '../../src/filters/filter_validator.js'
import { referenceMatches } from './helpers/reference_filter.js'

/** A payload as a receiver gets it */
function payload(data: unknown, event = 'on_update') {
  return {
    id: 'evt_1',
    event,
    resource: 'order',
    data,
    timestamp: '2026-03-28T14:30:00.123456Z',
  }
}

const paid = payload({ status: 'paid', total: 120, tags: ['vip', 'eu'], customer: { id: 7 } })

// ---------------------------------------------------------------------------
// Generators: a small vocabulary, so that paths and literals meet often
// ---------------------------------------------------------------------------

const KEYS = ['status', 'total', 'tags', '0', '1', '']
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'length']

/** Objects built with own properties only: `__proto__` is a key like any other, as JSON.parse makes it */
const objectOf = (value: fc.Arbitrary<unknown>, keys: fc.Arbitrary<string>) =>
  fc
    .array(fc.tuple(keys, value), { minLength: 1, maxLength: 5 })
    .map((entries) => Object.fromEntries(entries) as Record<string, unknown>)

const scalar = fc.constantFrom(
  'paid',
  'pa',
  'Paid',
  '',
  'on_update',
  0,
  -0,
  1,
  2,
  1.5,
  true,
  false,
  null
)

const key = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KEYS) },
  { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_KEYS) }
)

const { json: payloadValue } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('json'), { maxLength: 3 }),
    objectOf(tie('json'), key)
  ),
}))

const payloads = fc
  .tuple(payloadValue, fc.constantFrom('on_create', 'on_update', 'shipped'))
  .map(([data, event]) => payload(data, event))

/** Every path a payload has (own keys, hostile ones included) and the value found there */
function pathsOf(value: unknown, prefix = ''): [string, unknown][] {
  if (value === null || typeof value !== 'object') return []
  return Object.keys(value).flatMap((name) => {
    const path = prefix === '' ? name : `${prefix}.${name}`
    const found = (value as Record<string, unknown>)[name]
    return [[path, found] as [string, unknown], ...pathsOf(found, path)]
  })
}

/**
 * Filters about a payload: mostly on the paths it has and with the values
 * found there, so that conditions hold as often as they fail.
 */
function filtersFor(event: unknown): fc.Arbitrary<Record<string, unknown>> {
  const known = pathsOf(event)
  const knownPath = fc.constantFrom(...known.map(([name]) => name))
  const knownValue = fc.constantFrom(...known.map(([, found]) => found))
  const path = fc.oneof(
    { weight: 6, arbitrary: knownPath },
    {
      weight: 2,
      arbitrary: fc.array(key, { maxLength: 2 }).map((segments) => ['data', ...segments].join('.')),
    },
    { weight: 1, arbitrary: fc.constantFrom('data.01', 'data.-1', 'x', 'data.0.length') }
  )
  const literal = fc.oneof({ weight: 2, arbitrary: knownValue }, { weight: 1, arbitrary: scalar })
  const literals = fc.array(literal, { minLength: 1, maxLength: 3 })
  const operandOf = (operator: string): fc.Arbitrary<unknown> => {
    const valid: Record<string, fc.Arbitrary<unknown>> = {
      $in: literals,
      $nin: literals,
      $exists: fc.boolean(),
      $startsWith: fc.oneof(
        fc.constantFrom('', 'p', 'pa', 'paid!', 'on_'),
        knownValue.map((found) => (typeof found === 'string' ? found.slice(0, 2) : found))
      ),
    }
    return fc.oneof(
      { weight: 8, arbitrary: valid[operator] ?? literal },
      { weight: 1, arbitrary: payloadValue }
    )
  }
  const operators = fc
    .array(fc.constantFrom(...OPERATORS, '$regex', 'eq'), { minLength: 1, maxLength: 2 })
    .chain((names) =>
      fc.tuple(...names.map((name) => operandOf(name).map((operand) => [name, operand])))
    )
    .map((entries) => Object.fromEntries(entries))
  const condition = fc.oneof(
    { weight: 3, arbitrary: literal },
    { weight: 5, arbitrary: operators },
    { weight: 1, arbitrary: payloadValue }
  )
  return fc.letrec<{ filter: Record<string, unknown> }>((tie) => ({
    filter: fc
      .tuple(
        fc.array(fc.tuple(path, condition), { maxLength: 2 }),
        fc.option(
          fc.tuple(fc.constantFrom('$and', '$or'), fc.array(tie('filter'), { maxLength: 3 })),
          { depthSize: 'small' }
        )
      )
      .map(([conditions, combination]) =>
        Object.fromEntries(combination ? [...conditions, combination] : conditions)
      ),
  })).filter
}

/** A payload and a filter about it */
const cases = payloads.chain((event) => filtersFor(event).map((filter) => ({ filter, event })))
const filters = cases.map(({ filter }) => filter)

// ---------------------------------------------------------------------------

test.group('Filters | evaluation', () => {
  test('a literal is equality; every top-level condition must hold', ({ assert }) => {
    assert.isTrue(matchesFilter({ 'data.status': 'paid' }, paid))
    assert.isTrue(matchesFilter({ 'data.status': 'paid', 'event': 'on_update' }, paid))
    assert.isFalse(matchesFilter({ 'data.status': 'paid', 'event': 'on_create' }, paid))
    assert.isTrue(matchesFilter({ 'resource': 'order', 'data.customer.id': 7 }, paid))
    assert.isTrue(matchesFilter({}, paid), 'no condition')
    assert.isTrue(matchesFilter(null, paid), 'no filter')
  })

  test('operators', ({ assert }) => {
    const holds = (condition: unknown, path = 'data.total') =>
      matchesFilter({ [path]: condition }, paid)
    assert.isTrue(holds({ $eq: 120 }))
    assert.isTrue(holds({ $ne: 121 }))
    assert.isTrue(holds({ $gt: 100, $lte: 120 }))
    assert.isFalse(holds({ $gt: 100, $lt: 120 }))
    assert.isTrue(holds({ $gte: 120 }))
    assert.isTrue(holds({ $in: [1, 120] }))
    assert.isFalse(holds({ $nin: [1, 120] }))
    assert.isTrue(holds({ $exists: true }))
    assert.isTrue(holds({ $exists: false }, 'data.refunded_at'))
    assert.isTrue(holds({ $startsWith: 'pa' }, 'data.status'))
    assert.isTrue(holds({ $gt: 'p' }, 'data.status'), 'strings compare with strings')
    assert.isTrue(holds('vip', 'data.tags.0'), 'arrays by index')
  })

  test('$and and $or take arrays of filters', ({ assert }) => {
    const filter = {
      resource: 'order',
      $or: [
        { 'data.status': 'refunded' },
        { $and: [{ 'data.total': { $gte: 100 } }, { 'data.tags.1': 'eu' }] },
      ],
    }
    assert.isTrue(matchesFilter(filter, paid))
    assert.isFalse(matchesFilter(filter, payload({ status: 'paid', total: 99 })))
    assert.isTrue(matchesFilter(filter, payload({ status: 'refunded' })))
  })

  test('a missing path equals nothing, compares with nothing, and is $ne and $nin anything', ({
    assert,
  }) => {
    const missing = (condition: unknown) => matchesFilter({ 'data.nothing.here': condition }, paid)
    assert.isFalse(missing(null), 'missing is not null')
    assert.isFalse(missing({ $eq: null }))
    assert.isFalse(missing({ $gt: 0 }))
    assert.isFalse(missing({ $in: [null] }))
    assert.isTrue(missing({ $ne: null }))
    assert.isTrue(missing({ $nin: [1] }))
    assert.isTrue(missing({ $exists: false }))
    assert.isTrue(matchesFilter({ 'data.x': null }, payload({ x: null })), 'a present null')
  })

  test('types never mix: numbers with numbers, strings with strings, else false', ({ assert }) => {
    const data = payload({ total: '120', count: 3, flag: true, list: [1], object: { a: 1 } })
    assert.isFalse(matchesFilter({ 'data.total': 120 }, data))
    assert.isFalse(matchesFilter({ 'data.total': { $gt: 100 } }, data))
    assert.isFalse(matchesFilter({ 'data.count': { $gt: '1' } }, data))
    assert.isFalse(matchesFilter({ 'data.flag': { $gt: false } }, data))
    assert.isFalse(matchesFilter({ 'data.list': 1 }, data), 'no implicit any-element match')
    assert.isFalse(matchesFilter({ 'data.object': { $startsWith: '[' } }, data))
    assert.isFalse(
      matchesFilter({ 'data.count.0': { $exists: true } }, data),
      'a scalar has no keys'
    )
  })

  test('paths never walk into a prototype or an array’s length', ({ assert }) => {
    const data = payload({ tags: ['a'], name: 'x' })
    for (const path of [
      'data.constructor',
      'data.__proto__',
      'data.constructor.prototype',
      'data.toString',
      'data.hasOwnProperty',
      'data.tags.length',
      'data.name.length',
      'data.tags.01',
    ]) {
      assert.isFalse(matchesFilter({ [path]: { $exists: true } }, data), path)
    }
    const own = JSON.parse('{"data": {"__proto__": {"polluted": 1}}}')
    assert.isFalse(matchesFilter({ 'data.__proto__.polluted': 1 }, own))
    assert.deepEqual(Object.keys(Object.prototype), [])
  })

  test('what validation refuses matches nothing, and nothing throws', ({ assert }) => {
    for (const filter of [
      [],
      'x',
      1,
      { 'data.status': { $regex: 'p' } },
      { 'data.status': ['paid'] },
      { 'data.status': {} /* no operator: vacuous */ },
      { $and: {} },
      { $or: [null] },
    ]) {
      const expected = JSON.stringify(filter) === '{"data.status":{}}'
      assert.equal(matchesFilter(filter, paid), expected, JSON.stringify(filter))
    }
    let deep: unknown = { 'data.status': 'paid' }
    for (let level = 0; level < 10_000; level++) deep = { $and: [deep] }
    assert.isFalse(matchesFilter(deep, paid), 'nested past any bound')
  })

  test('property: never throws, and agrees with the reference evaluator', () => {
    fc.assert(
      fc.property(cases, ({ filter, event }) => {
        const compiled = compileFilter(filter)
        const answer = compiled(event)
        if (typeof answer !== 'boolean') throw new Error('not a boolean')
        if (answer !== referenceMatches(filter, event)) {
          throw new Error(`disagrees: ${JSON.stringify(filter)} on ${JSON.stringify(event)}`)
        }
      }),
      { numRuns: 3000 }
    )
  })

  test('property: anything as a filter or a payload never throws', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (filter, event) => {
        const answer = matchesFilter(filter, event)
        if (answer !== referenceMatches(filter, event)) throw new Error('disagrees')
      }),
      { numRuns: 2000 }
    )
  })
})

test.group('Filters | validation', () => {
  const fields = (filter: unknown) =>
    filterProblems(filter).map(({ field, rule }) => `${field} ${rule}`)

  test('accepts the filter language', ({ assert }) => {
    assert.deepEqual(fields(null), [])
    assert.deepEqual(fields({}), [])
    assert.deepEqual(
      fields({
        'event': 'on_update',
        'data.status': { $in: ['paid', 'shipped'] },
        'data.total': { $gt: 100, $lte: 1000 },
        'data.refunded_at': { $exists: false },
        'data.sku': { $startsWith: 'EU-' },
        'data.note': null,
        '$or': [{ 'data.vip': true }, { $and: [{ 'data.country': { $ne: 'FR' } }] }],
      }),
      []
    )
  })

  test('names the path of each problem', ({ assert }) => {
    assert.deepEqual(fields([]), ['filter object'])
    assert.deepEqual(fields('x'), ['filter object'])
    assert.deepEqual(fields({ 'data.total': { $gt: true } }), ['filter.data.total.$gt operand'])
    assert.deepEqual(fields({ 'data.total': { $regex: 'a' } }), [
      'filter.data.total.$regex operator',
    ])
    assert.deepEqual(fields({ 'data.total': {} }), ['filter.data.total condition'])
    assert.deepEqual(fields({ 'data.total': [1] }), ['filter.data.total condition'])
    assert.deepEqual(fields({ 'data.total': { a: 1 } }), ['filter.data.total.a operator'])
    assert.deepEqual(fields({ 'data.s': { $in: [] } }), ['filter.data.s.$in operand'])
    assert.deepEqual(fields({ 'data.s': { $in: [[1]] } }), ['filter.data.s.$in operand'])
    assert.deepEqual(fields({ 'data.s': { $exists: 'yes' } }), ['filter.data.s.$exists operand'])
    assert.deepEqual(fields({ 'data.s': { $startsWith: 1 } }), [
      'filter.data.s.$startsWith operand',
    ])
    assert.deepEqual(fields({ $not: {} }), ['filter.$not operator'])
    assert.deepEqual(fields({ $or: [] }), ['filter.$or array'])
    assert.deepEqual(fields({ $or: [{ a: { $eq: [] } }] }), ['filter.$or.0.a.$eq operand'])
    assert.deepEqual(fields({ 'data..x': 1 }), ['filter.data..x path'])
    assert.deepEqual(fields({ ['a'.repeat(201)]: 1 }), [`filter.${'a'.repeat(201)} path`])
  })

  test('refuses path segments that reach a prototype', ({ assert }) => {
    for (const segment of ['__proto__', 'constructor', 'prototype']) {
      assert.deepEqual(fields({ [`data.${segment}.x`]: 1 }), [
        `filter.data.${segment}.x reserved_key`,
      ])
    }
  })

  test('bounds depth, conditions and size', ({ assert }) => {
    let nested: Record<string, unknown> = { a: 1 }
    for (let level = 1; level < FILTER_LIMITS.depth; level++) nested = { $and: [nested] }
    assert.deepEqual(fields(nested), [], 'at the bound')
    assert.deepEqual(fields({ $or: [nested] }), [
      'filter.$or.0.$and.0.$and.0.$and.0.$and.0 maxDepth',
    ])

    const many = Object.fromEntries(
      Array.from({ length: 51 }, (_, index) => [`data.k${index}`, index])
    )
    assert.deepEqual(fields(many), ['filter maxConditions'])
    const big = {
      'data.s': { $in: Array.from({ length: 40 }, (_, index) => `${index}`.padEnd(100, 'x')) },
    }
    assert.deepEqual(fields(big), ['filter maxSize'])

    let hostile: unknown = 1
    for (let level = 0; level < 100_000; level++) hostile = { $or: [hostile] }
    assert.lengthOf(filterProblems(hostile), 1, 'deep input is walked to the bound only')
  })

  test('property: never throws; what it accepts is bounded, and every field starts with filter', () => {
    fc.assert(
      fc.property(fc.oneof(filters, fc.anything()), (filter) => {
        const problems = filterProblems(filter)
        if (problems.some(({ field }) => !field.startsWith('filter'))) throw new Error('field')
        if (problems.length === 0 && filter !== null) {
          if (Buffer.byteLength(JSON.stringify(filter)) > FILTER_LIMITS.bytes)
            throw new Error('size')
        }
      }),
      { numRuns: 3000 }
    )
  })
})
