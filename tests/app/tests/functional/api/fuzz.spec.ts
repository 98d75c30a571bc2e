import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { test } from '@japa/runner'
import fc from 'fast-check'
import { WebhookSubscription } from 'adonis-exo'
import env from '#start/env'
import Order from '#models/order'
import { apiPath, tokenFor } from '#tests/helpers/api'
import { createUser, subscribe } from '#tests/helpers/fixtures'
import { attemptsOf } from '#tests/helpers/api_fixtures'
import { OpenApiValidator } from '#tests/helpers/openapi'
import { closedUrl, startReceiver } from '#tests/helpers/receiver'

/**
 * Property-based fuzzing of every endpoint with a valid token: random JSON,
 * random objects made of the real field names, raw strings and bytes as
 * bodies, hostile path parameters and query strings. Whatever is sent, the
 * answer is never a 5xx, always JSON (never an HTML error page), and, where
 * the request reached a documented route, what the OpenAPI document says.
 *
 * Reproduce a run with FUZZ_SEED=<the seed of its "fuzz:" line>.
 * FUZZ_RUNS scales every endpoint's number of runs (default 1).
 */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31
const SCALE = Number(process.env.FUZZ_RUNS ?? 1)
const runs = (count: number) => Math.max(1, Math.round(count * SCALE))
const seedFor = (operation: string) =>
  [...operation].reduce((hash, char) => (Math.imul(hash, 31) + char.charCodeAt(0)) | 0, SEED)

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

interface Body {
  contentType?: string
  data: string | Uint8Array
}

interface Sent {
  method: Method
  route: string
  params: Record<string, string>
  query: string
  body?: Body
}

let requests = 0

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/** Percent-encodes any string; a lone surrogate becomes the bytes UTF-8 forbids for it */
function encode(value: string) {
  return [...value]
    .map((char) => {
      if (char.isWellFormed()) return encodeURIComponent(char)
      const code = char.charCodeAt(0)
      return [0xed, 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join('')
    })
    .join('')
}

const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\r\n',
  'é',
  '💥',
  '💥'.repeat(300),
  'x'.repeat(256),
  'x'.repeat(2100),
  '%00',
  '%',
  '../',
  "' OR 1=1 --",
  '"; DROP TABLE exo_subscriptions; --',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  'null',
  'true',
  '[]',
  '{}',
]

const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ maxLength: 40 })
)

const number = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -1, 1.5, 2 ** 53 + 1, -(2 ** 63), 1e308, -1e308, Number.MIN_VALUE)
)

const scalar = fc.oneof(hostileString, number, fc.boolean(), fc.constant(null))

/** Any JSON value, unicode strings included */
const anyJson = fc.oneof(
  { weight: 3, arbitrary: scalar },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }) },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileString, scalar, { maxKeys: 5 }) }
)

/** A field's value: any JSON value, or one close to what the field takes */
const field = (...nearValid: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 1, arbitrary: anyJson },
    ...nearValid.map((arbitrary) => ({ weight: 4, arbitrary }))
  )

const headerName = fc.oneof(
  fc.constantFrom('X-Team', 'x-exo-id', 'Content-Type', 'HOST', 'webhook-id', 'User-Agent'),
  fc.constantFrom('bad name', 'bad\r\nname', 'é', 'x'.repeat(101), ''),
  fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/),
  hostileString
)
const headerValue = fc.oneof(
  fc.stringMatching(/^[\x20-\x7e]{0,30}$/),
  fc.constantFrom('a\r\nInjected: 1', '\u0000', 'é', 'x'.repeat(2001)),
  hostileString
)

/** Text for free-text fields: mostly plain, sometimes what databases choke on */
const freeText = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom('a\u0000b', '\ud800', 'x\udfff', '💥', 'é\r\n') }
)

/** Built with own keys only: `__proto__` is sent as a key, as a client's JSON would */
const objectOf = (entries: fc.Arbitrary<[string, unknown][]>) =>
  entries.map((pairs) => Object.fromEntries(pairs) as Record<string, unknown>)

/** Filters: mostly close to the language, with hostile paths, operators and operands */
const filterPath = fc.oneof(
  fc.constantFrom('data.status', 'data.total', 'event', 'resource', 'data.items.0.sku'),
  fc.constantFrom('data.__proto__', 'data.constructor.prototype', 'prototype', 'a..b', '', '.'),
  fc.constantFrom('$where', '$and', '$or', '$not', 'x'.repeat(250), 'a.b.c.d.e.f.g.h.i.j.k'),
  hostileString
)
const filterOperator = fc.oneof(
  fc.constantFrom('$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists'),
  fc.constantFrom('$startsWith', '$regex', '$where', 'eq', '__proto__', 'constructor'),
  hostileString
)
const { filter: filterValue } = fc.letrec<{ filter: unknown; condition: unknown }>((tie) => ({
  condition: fc.oneof(
    { weight: 2, arbitrary: scalar },
    {
      weight: 3,
      arbitrary: objectOf(fc.array(fc.tuple(filterOperator, anyJson), { maxLength: 3 })),
    },
    { weight: 1, arbitrary: anyJson }
  ),
  filter: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    objectOf(fc.array(fc.tuple(filterPath, tie('condition')), { maxLength: 4 })),
    objectOf(
      fc.array(
        fc.tuple(
          fc.constantFrom('$and', '$or'),
          fc.oneof(fc.array(tie('filter'), { maxLength: 3 }), anyJson)
        ),
        { maxLength: 2 }
      )
    )
  ),
}))
const deepFilter = (depth: number) => {
  let filter: unknown = { 'data.status': 'paid' }
  for (let level = 0; level < depth; level++) filter = { $or: [filter] }
  return filter
}
const filterField = field(
  filterValue,
  fc.constant(null),
  fc.constantFrom(
    deepFilter(4),
    deepFilter(5),
    deepFilter(300),
    { 'data.s': { $in: Array.from({ length: 60 }, () => 'x'.repeat(80)) } },
    Object.fromEntries(Array.from({ length: 60 }, (_, index) => [`data.k${index}`, index]))
  )
)

/** Bodies built from the API's real field names */
function subscriptionBody(urls: string[]) {
  const url = fc.oneof(
    fc.constantFrom(...urls),
    fc.constantFrom(
      'ftp://127.0.0.1/x',
      'javascript:alert(1)',
      'http://',
      'http://exämple.invalid/hook',
      `http://127.0.0.1/${'x'.repeat(2100)}`,
      'http://127.0.0.1:99999/',
      'http://[::1]:1/hook',
      'http://user:pass@127.0.0.1:1/hook',
      'HTTP://127.0.0.1:1/HOOK',
      ' http://127.0.0.1:1/padded '
    ),
    fc.webPath().map((path) => `http://127.0.0.1:1${path}`),
    freeText.map((path) => `http://127.0.0.1:1/${path}`)
  )
  const events = fc.array(
    fc.constantFrom('on_create', 'on_update', 'on_delete', 'ping', 'on_fire', '', 'ON_CREATE'),
    { maxLength: 5 }
  )
  const auth = fc.record(
    {
      type: field(fc.constantFrom('basic', 'bearer', 'digest', '')),
      username: field(fc.stringMatching(/^[^:]{0,20}$/), fc.constantFrom('a:b', 'x'.repeat(256))),
      password: field(headerValue),
      token: field(headerValue),
    },
    { requiredKeys: [] }
  )
  const model = {
    name: field(freeText, fc.constantFrom('x'.repeat(256), '   ')),
    description: field(freeText, fc.constant(null)),
    url: field(url),
    resource: field(fc.constantFrom('order', 'note', 'ORDER', ' order ', 'invoice', '')),
    events: field(events),
    is_active: field(fc.boolean(), fc.constantFrom('true', 1, 0, 'on')),
    headers: field(fc.dictionary(headerName, headerValue, { maxKeys: 4 })),
    auth: field(auth, fc.constant(null)),
    secret_header: field(
      fc.record({ name: field(headerName), value: field(headerValue) }, { requiredKeys: [] }),
      fc.constant(null)
    ),
    notification_emails: field(
      fc.array(fc.oneof(fc.emailAddress(), hostileString), { maxLength: 4 })
    ),
    environments: field(
      fc.array(fc.oneof(fc.constantFrom('production', 'test', 'Staging_1'), hostileString), {
        maxLength: 4,
      })
    ),
    metadata: field(
      fc.dictionary(hostileString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }),
      fc.constant({ big: 'x'.repeat(9000) })
    ),
    secret: field(
      fc.constant(`whsec_${randomBytes(32).toString('base64')}`),
      fc.constantFrom('whsec_', 'whsec_short', 'whsec_' + 'A'.repeat(100))
    ),
    filter: filterField,
    webhook_version: field(fc.constantFrom('1', '2')),
    id: field(fc.nat()),
    user_id: field(fc.nat()),
  }
  const fields = fc.record(model, { requiredKeys: [] })
  // Mostly a valid subscription with a few fuzzed fields, so requests get past
  // validation to the database, the queue and the serializers
  const valid = { name: 'Fuzz', url: urls[0], resource: 'order', events: ['on_create'] }
  const fewFields = fc
    .tuple(
      fc.record(model),
      fc.shuffledSubarray(Object.keys(model), { minLength: 1, maxLength: 3 })
    )
    .map(([all, keys]) => Object.fromEntries(keys.map((key) => [key, (all as any)[key]])))
  return fc.oneof(
    { weight: 2, arbitrary: fields },
    { weight: 3, arbitrary: fewFields.map((fuzzed) => ({ ...valid, ...fuzzed })) },
    { weight: 1, arbitrary: fields.map((fuzzed) => ({ ...valid, ...fuzzed })) }
  )
}

const rotateBody = fc.record(
  {
    grace_period: field(
      fc.integer({ min: -10, max: 700_000 }),
      fc.constantFrom(0, 604800, 604801, 1.5, '60', 1e30)
    ),
  },
  { requiredKeys: [] }
)

function replayBody(eventIds: string[]) {
  return fc.record(
    {
      event_id: field(
        fc.constantFrom(...eventIds),
        fc.constantFrom('evt_', 'evt_00000000000000000000000000', `evt_${'Z'.repeat(40)}`)
      ),
      since: field(
        fc
          .date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })
          .map((date) => date.toISOString()),
        fc.constantFrom(
          '2020-01-01',
          'yesterday',
          '2020-13-45',
          '0000-01-01',
          '0001-01-01T00:00:00Z',
          '-000001-01-01T00:00:00Z',
          '+275760-09-13T00:00:00Z',
          '9999-12-31T23:59:59.999Z',
          '2020-01-01T00:00:00+14:00',
          '2020-W01',
          '2020-001',
          'T10:00'
        )
      ),
    },
    { requiredKeys: [] }
  )
}

/** A request body: JSON of any shape, raw text, or bytes that are not UTF-8 */
function bodyOf(fields: fc.Arbitrary<Record<string, unknown>>) {
  const json = (value: unknown) => ({
    contentType: 'application/json',
    data: JSON.stringify(value),
  })
  const contentType = fc.constantFrom(
    'application/json',
    'application/json; charset=latin1',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/vnd.api+json',
    undefined
  )
  return fc.oneof(
    { weight: 6, arbitrary: fields.map(json) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fields, fc.dictionary(hostileString, anyJson, { maxKeys: 3 }))
        .map(([known, extra]) => json({ ...extra, ...known })),
    },
    { weight: 2, arbitrary: anyJson.map(json) },
    {
      weight: 1,
      arbitrary: fc.record({
        contentType,
        data: fc.oneof(
          fc.string({ unit: 'binary', maxLength: 60 }),
          fc.constantFrom(
            '{',
            '{"a":1}}',
            '{"a":undefined}',
            "{'a':1}",
            '\ufeff{}',
            '{"a":1}\u0000',
            '1e999',
            'a=1&b=2',
            '--x\r\n\r\n--x--'
          ),
          fc.json().map((text) => text.slice(0, Math.max(1, text.length - 1)))
        ),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        contentType,
        data: fc.oneof(
          fc.uint8Array({ maxLength: 60 }),
          fc.constantFrom(
            Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
            Uint8Array.from([
              0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d,
            ]),
            Uint8Array.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
            Uint8Array.from([0xed, 0xa0, 0x80])
          )
        ),
      }),
    }
  )
}

/** A path parameter, already encoded for the URL: ids, or anything but */
function pathParam(known: string[], weight = 3) {
  return fc.oneof(
    ...(known.length ? [{ weight, arbitrary: fc.constantFrom(...known) }] : []),
    { weight: 2, arbitrary: fc.nat().map(String) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String) },
    { weight: 1, arbitrary: fc.integer({ max: -1 }).map(String) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '0',
        '00000000000000000001',
        '9'.repeat(18),
        '9'.repeat(19),
        '9223372036854775807',
        '9223372036854775808',
        '1.0',
        '1e3',
        '0x1',
        '+1',
        '%20%31',
        '%00',
        '%',
        '%ZZ',
        '%E0%A4%A',
        '%FF',
        '%C0%AF',
        '%2F',
        '%2e%2e',
        '%ED%A0%80',
        'dlv_',
        `dlv_${'Z'.repeat(26)}`,
        `dlv_${'Z'.repeat(60)}`
      ),
    },
    { weight: 2, arbitrary: hostileString.filter((value) => value !== '').map(encode) }
  )
}

/** A query string: the real names with hostile values, raw strings, arrays and objects */
function queryOf(names: string[], cursors: string[]) {
  const cursorNumber = fc.constantFrom(
    '1',
    '-1',
    '0',
    '1.5',
    '1e400',
    '-1e400',
    '1e19',
    '9223372036854775808',
    '123456789012345678901234567890',
    '"x"',
    '"\\u0000"',
    '"dlv_ZZZZ"',
    'null',
    '[]'
  )
  const cursor = fc.oneof(
    fc.constantFrom(...cursors),
    cursorNumber.map((value) => Buffer.from(`[${value}]`).toString('base64url')),
    anyJson.map((value) => Buffer.from(JSON.stringify([value]) ?? '').toString('base64url')),
    hostileString
  )
  const values: Record<string, fc.Arbitrary<unknown>> = {
    limit: fc.oneof(
      fc.integer({ min: -5, max: 250 }),
      fc.constantFrom('1.5', '1e2', '0x10', ' 5', '', '9'.repeat(400), 'NaN', 'Infinity'),
      hostileString
    ),
    cursor,
    status: fc.oneof(fc.constantFrom('pending', 'success', 'failed', 'PENDING', ''), hostileString),
    resource: fc.oneof(fc.constantFrom('order', 'note', 'invoice'), hostileString),
    is_active: fc.oneof(
      fc.constantFrom('true', 'false', '1', '0', 'on', 'off', 'yes', ''),
      hostileString
    ),
  }
  const pair = ([name, value]: [string, unknown]) => `${encode(name)}=${encode(String(value))}`
  const known = fc
    .record(
      Object.fromEntries(names.map((name) => [name, values[name]])) as Record<
        string,
        fc.Arbitrary<unknown>
      >,
      { requiredKeys: [] }
    )
    .map((query) => Object.entries(query).map(pair).join('&'))
  const nameArb = fc.constantFrom(...names, 'unknown')
  const shaped = fc
    .tuple(
      nameArb,
      fc.constantFrom('[]', '[0]', '[a]', '[__proto__]', ''),
      fc.array(hostileString, { minLength: 1, maxLength: 3 })
    )
    .map(([name, suffix, list]) =>
      list.map((value) => `${name}${suffix}=${encode(value)}`).join('&')
    )
  const raw = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }).map((text) => encodeURI(text.toWellFormed())),
    fc.constantFrom(
      'limit',
      'limit=',
      '&&&',
      '=1',
      'limit=%',
      'limit=%ZZ',
      'cursor=%E0%A4%A',
      'a[b][c][d][e][f][g]=1'
    )
  )
  return fc.oneof(
    { weight: 4, arbitrary: known },
    { weight: 2, arbitrary: shaped },
    { weight: 1, arbitrary: raw },
    { weight: 1, arbitrary: fc.constant('') }
  )
}

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

const ID = /^\d{1,18}$/

/**
 * The route the server matched: the documented one when every parameter
 * is one path segment the route's matcher takes, the 404 catch-all when the
 * id is not digits, and unknown when the URL's path changes on the way
 * (dot segments).
 */
function routeOf(spec: OpenApiValidator, sent: Sent): 'documented' | 'catch-all' | 'unknown' {
  const documented = spec.document.paths[spec.pathOf(sent.route)]?.[sent.method.toLowerCase()]
  if (!documented) return 'unknown'
  const values = Object.values(sent.params)
  const decoded = values.map((value) => {
    try {
      return decodeURIComponent(value)
    } catch {
      return value
    }
  })
  if (decoded.some((value) => value === '' || value === '.' || value === '..')) return 'unknown'
  if (values.some((value) => value.includes('%2F') || value.includes('%2f'))) return 'unknown'
  if (sent.params.id !== undefined && !ID.test(decoded[0])) return 'catch-all'
  return 'documented'
}

/** Whether every parameter of the URL is valid percent-encoding of UTF-8 */
function decodable(sent: Sent) {
  return Object.values(sent.params).every((value) => {
    try {
      decodeURIComponent(value)
      return true
    } catch {
      return false
    }
  })
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 })

/** One request over node:http, which sends a path and a body as given, on any method */
function request(
  base: URL,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Body['data']
) {
  // node:http frames the bodies of GET and DELETE only with an explicit length
  const payload = body === undefined ? undefined : Buffer.from(body as any)
  if (payload) headers['content-length'] = String(payload.length)
  return new Promise<{ status: number; type: string; text: string }>((resolve, reject) => {
    const outgoing = http.request(
      { host: base.hostname, port: base.port, path, method, headers, agent },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({
            status: response.statusCode!,
            type: String(response.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          })
        )
        response.on('error', reject)
      }
    )
    outgoing.on('error', reject)
    outgoing.end(payload)
  })
}

async function send(base: URL, token: string, spec: OpenApiValidator, sent: Sent) {
  const path = sent.route.replace(/:([A-Za-z]+)/g, (_, name: string) => sent.params[name])
  const url = `${apiPath(path)}${sent.query ? `?${sent.query}` : ''}`
  const headers: Record<string, string> = { authorization: `Bearer ${token}` }
  if (sent.body?.contentType) headers['content-type'] = sent.body.contentType
  requests++
  const response = await request(base, sent.method, url, headers, sent.body?.data)
  const { text, status } = response
  const where = `${sent.method} ${url} -> ${status}`

  // A ping's 502 tells the receiver failed: the one 5xx the API gives by design
  const pingFailure = status === 502 && sent.route.endsWith('/ping')
  if (status >= 500 && !pingFailure) {
    throw new Error(`${where}: a server error\n${text.slice(0, 2000)}`)
  }
  if (status === 204) {
    if (text !== '') throw new Error(`${where}: a 204 with a body: ${text.slice(0, 500)}`)
    return status
  }
  const type = response.type
  if (!type.startsWith('application/json')) {
    throw new Error(`${where}: answered ${type}, not JSON\n${text.slice(0, 2000)}`)
  }
  if (/^\s*</.test(text)) throw new Error(`${where}: an HTML body\n${text.slice(0, 2000)}`)
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new Error(`${where}: a body that is not JSON\n${text.slice(0, 2000)}`)
  }

  const route = routeOf(spec, sent)
  if (route === 'documented') {
    spec.validateResponse(sent.method, sent.route, status, body)
  } else if (route === 'catch-all') {
    // The body is read, and refused, before routing; AdonisJS 7's server refuses a
    // URL it cannot decode before either (400)
    const expected = [404]
    if (sent.body) expected.push(400, 413)
    if (!decodable(sent)) expected.push(400)
    if (!expected.includes(status)) throw new Error(`${where}: expected the catch-all's 404`)
    const { valid, errors } = spec.validateSchema('Error', body)
    if (!valid) throw new Error(`${where}: not an Error\n${errors}`)
  } else if (status >= 400) {
    const error = spec.validateSchema('Error', body)
    if (!error.valid && !spec.validateSchema('ValidationError', body).valid) {
      throw new Error(`${where}: neither Error nor ValidationError\n${error.errors}`)
    }
  }
  return status
}

test.group('Fuzz | no request makes the API answer a 5xx or anything but JSON', (group) => {
  let token: string
  let spec: OpenApiValidator
  let base: URL
  /** Ids the fuzzer may use freely, of the user, of others, and none */
  const ids = { stable: '', mutable: '', others: '' }
  const deliveryIds: string[] = []
  const eventIds: string[] = []
  const cursors: string[] = []
  let urls: string[] = []
  const statuses = new Map<string, Map<number, number>>()
  let startedAt = 0

  group.setup(async () => {
    startedAt = Date.now()
    base = new URL(`http://${env.get('HOST')}:${env.get('PORT')}`)
    const response = await fetch(new URL(apiPath('/openapi.json'), base))
    spec = new OpenApiValidator((await response.json()) as Record<string, any>)
    const receiver = await startReceiver()
    urls = [receiver.url, await closedUrl()]

    const user = await createUser()
    const issued = await tokenFor(user)
    token = issued.value
    const other = await createUser()
    const othersSubscription = await subscribe(other, receiver.url)
    ids.others = String(othersSubscription.id)
    // Deliveries for the user's stable subscription: a real one, and a failed ping
    const stable = await subscribe(user, receiver.url, { events: ['on_create', 'on_update'] })
    ids.stable = String(stable.id)
    const mutable = await subscribe(user, urls[1])
    ids.mutable = String(mutable.id)
    await Order.create({ userId: user.id, total: 1, status: 'new' })
    await receiver.waitFor(1)
    const rows = await attemptsOf(stable.id, (attempts) =>
      attempts.some((row) => row.status !== 'pending')
    )
    deliveryIds.push(...rows.map((row) => row.id))
    eventIds.push(...rows.map((row) => row.eventId))
    cursors.push(
      Buffer.from(JSON.stringify([Number(ids.stable)])).toString('base64url'),
      Buffer.from(JSON.stringify([deliveryIds[0]])).toString('base64url')
    )

    return async () => {
      await WebhookSubscription.query().whereIn('user_id', [user.id, other.id]).delete()
      await receiver.close()
      agent.destroy()
      const lines = [...statuses].map(
        ([operation, counts]) =>
          `  ${operation.padEnd(58)} ${[...counts].map(([status, count]) => `${status}×${count}`).join(' ')}`
      )
      console.log(
        `fuzz: ${requests} requests in ${((Date.now() - startedAt) / 1000).toFixed(1)}s (seed ${SEED})\n${lines.join('\n')}`
      )
    }
  })

  /** Runs `numRuns` random requests at one operation */
  async function fuzz(
    method: Method,
    route: string,
    numRuns: number,
    parts: {
      params?: Record<string, fc.Arbitrary<string>>
      query?: fc.Arbitrary<string>
      body?: fc.Arbitrary<Body | undefined>
    }
  ) {
    const operation = `${method} ${route}`
    const counts = statuses.get(operation) ?? new Map<number, number>()
    statuses.set(operation, counts)
    const sent = fc.record({
      params: fc.record(parts.params ?? {}) as fc.Arbitrary<Record<string, string>>,
      query: parts.query ?? fc.constant(''),
      body:
        parts.body ??
        fc.option(bodyOf(fc.dictionary(hostileString, anyJson, { maxKeys: 3 })), {
          freq: 4,
          nil: undefined,
        }),
    })
    await fc.assert(
      fc.asyncProperty(sent, async ({ params, query, body }) => {
        const status = await send(base, token, spec, { method, route, params, query, body })
        counts.set(status, (counts.get(status) ?? 0) + 1)
        const polluted = Object.keys(Object.prototype)
        if (polluted.length > 0) throw new Error(`Object.prototype gained ${polluted.join(', ')}`)
      }),
      // Each operation its own stream of inputs, all derived from the run's seed
      { numRuns, seed: seedFor(operation), endOnFailure: false }
    )
  }

  const subscriptionId = (exclude: string[] = []) =>
    pathParam(
      [ids.stable, ids.stable, ids.mutable, ids.others].filter((id) => !exclude.includes(id)),
      6
    )

  test('GET /whoami, /resources, /openapi.json and unknown paths', async () => {
    await fuzz('GET', '/whoami', runs(60), { query: queryOf(['limit'], cursors) })
    await fuzz('GET', '/resources', runs(60), { query: queryOf(['resource'], cursors) })
    await fuzz('GET', '/openapi.json', runs(40), {})
    for (const method of ['GET', 'POST', 'PUT', 'DELETE'] as const) {
      await fuzz(method, '/:path', runs(30), { params: { path: pathParam(['webhooks', 'x']) } })
    }
  }).timeout(120_000)

  test('inputs that once made the API answer 500', async ({ assert }) => {
    const json = (value: unknown) => ({
      contentType: 'application/json',
      data: JSON.stringify(value),
    })
    const cursor = (value: string) => Buffer.from(value).toString('base64url')
    const valid = { name: 'Fuzz', url: urls[0], resource: 'order', events: ['on_create'] }
    const replay = `/webhooks/${ids.stable}/replay`
    const cases: [Method, string, Partial<Sent>, number][] = [
      // validator.js's isEmail throws on a lone surrogate
      ['POST', '/webhooks', { body: json({ notification_emails: ['\ud800'] }) }, 400],
      ['POST', '/webhooks', { body: json({ ...valid, url: 'http://a\ud800.example/' }) }, 400],
      // PostgreSQL refuses NUL in text
      ['POST', '/webhooks', { body: json({ ...valid, name: 'a\u0000b' }) }, 400],
      ['PATCH', `/webhooks/${ids.mutable}`, { body: json({ description: '\u0000' }) }, 400],
      ['GET', '/webhooks', { query: 'resource=%00' }, 422],
      [
        'GET',
        `/webhooks/${ids.stable}/deliveries`,
        { query: `cursor=${cursor('["\\u0000"]')}` },
        422,
      ],
      ['POST', replay, { body: json({ event_id: '\u0000' }) }, 400],
      // Years PostgreSQL cannot compare
      ['POST', replay, { body: json({ since: '-000001-01-01T00:00:00Z' }) }, 422],
      ['POST', replay, { body: json({ since: '0000-01-01' }) }, 422],
      // Lucid's lodash.merge followed constructor.prototype into Object.prototype
      [
        'POST',
        '/webhooks',
        { body: json({ ...valid, metadata: { constructor: { prototype: { pp: '1' } } } }) },
        422,
      ],
      [
        'PATCH',
        `/webhooks/${ids.mutable}`,
        { body: json({ headers: { constructor: { prototype: { pp: '1' } } } }) },
        422,
      ],
      // Lucid's dirty check (fast-deep-equal) called these keys as methods
      ['PATCH', `/webhooks/${ids.mutable}`, { body: json({ metadata: { toString: 1 } }) }, 200],
      ['PATCH', `/webhooks/${ids.mutable}`, { body: json({ metadata: { valueOf: 2 } }) }, 200],
      // Objects Number() cannot convert reached VineJS's number type
      [
        'POST',
        `/webhooks/${ids.stable}/rotate-secret`,
        { body: json({ grace_period: { valueOf: 1, toString: 1 } }) },
        422,
      ],
    ]
    for (const [method, path, sent, expected] of cases) {
      const id = path.match(/\/(\d+)(?=\/|$)/)?.[1]
      const route = path.replace(/\/\d+(?=\/|$)/, '/:id')
      const params: Record<string, string> = id ? { id } : {}
      const status = await send(base, token, spec, { method, route, params, query: '', ...sent })
      assert.equal(status, expected, `${method} ${path} ${JSON.stringify(sent)}`)
    }
  })

  test('GET /webhooks', async () => {
    await fuzz('GET', '/webhooks', runs(250), {
      query: queryOf(['limit', 'cursor', 'resource', 'is_active'], cursors),
    })
  }).timeout(120_000)

  test('POST /webhooks', async () => {
    await fuzz('POST', '/webhooks', runs(400), { body: bodyOf(subscriptionBody(urls)) })
  }).timeout(180_000)

  test('filters in POST /webhooks and in PUT and PATCH /webhooks/:id', async () => {
    const valid = { name: 'Fuzz', url: urls[0], resource: 'order', events: ['on_create'] }
    const withFilter = filterField.map((filter) => ({ ...valid, filter }))
    await fuzz('POST', '/webhooks', runs(300), { body: bodyOf(withFilter) })
    for (const method of ['PUT', 'PATCH'] as const) {
      await fuzz(method, '/webhooks/:id', runs(150), {
        params: { id: subscriptionId([ids.stable]) },
        body: bodyOf(filterField.map((filter) => ({ filter }))),
      })
    }
  }).timeout(180_000)

  test('GET /webhooks/:id', async () => {
    await fuzz('GET', '/webhooks/:id', runs(150), {
      params: { id: subscriptionId() },
      query: queryOf(['limit'], cursors),
    })
  }).timeout(120_000)

  test('PUT and PATCH /webhooks/:id', async () => {
    for (const method of ['PUT', 'PATCH'] as const) {
      await fuzz(method, '/webhooks/:id', runs(200), {
        params: { id: subscriptionId([ids.stable]) },
        body: bodyOf(subscriptionBody(urls)),
      })
    }
  }).timeout(180_000)

  test('POST /webhooks/:id/rotate-secret', async () => {
    await fuzz('POST', '/webhooks/:id/rotate-secret', runs(150), {
      params: { id: subscriptionId() },
      body: fc.option(bodyOf(rotateBody), { freq: 5, nil: undefined }),
    })
  }).timeout(120_000)

  test('POST /webhooks/:id/ping', async () => {
    await fuzz('POST', '/webhooks/:id/ping', runs(100), { params: { id: subscriptionId() } })
  }).timeout(120_000)

  test('GET /webhooks/:id/deliveries', async () => {
    await fuzz('GET', '/webhooks/:id/deliveries', runs(250), {
      params: { id: subscriptionId() },
      query: queryOf(['limit', 'cursor', 'status'], cursors),
    })
  }).timeout(120_000)

  test('GET /webhooks/:id/deliveries/:deliveryId', async () => {
    await fuzz('GET', '/webhooks/:id/deliveries/:deliveryId', runs(150), {
      params: { id: subscriptionId(), deliveryId: pathParam(deliveryIds, 6) },
    })
  }).timeout(120_000)

  test('POST /webhooks/:id/deliveries/:deliveryId/redeliver', async () => {
    await fuzz('POST', '/webhooks/:id/deliveries/:deliveryId/redeliver', runs(100), {
      params: { id: subscriptionId(), deliveryId: pathParam(deliveryIds, 6) },
    })
  }).timeout(120_000)

  test('POST /webhooks/:id/replay', async () => {
    await fuzz('POST', '/webhooks/:id/replay', runs(200), {
      params: { id: subscriptionId() },
      body: bodyOf(replayBody(eventIds)),
    })
  }).timeout(120_000)

  test('DELETE /webhooks/:id', async () => {
    await fuzz('DELETE', '/webhooks/:id', runs(100), {
      params: { id: subscriptionId([ids.stable, ids.mutable, ids.others]) },
    })
  }).timeout(120_000)
})
