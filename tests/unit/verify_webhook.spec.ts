import { createHmac } from 'node:crypto'
import { test } from '@japa/runner'
import fc from 'fast-check'
import { Webhook } from 'standardwebhooks'
import { ExoSigner } from '../../src/delivery/signer.js'
import { generateSecret } from '../../src/subscriptions/secrets.js'
import { errors, verifyWebhook, WebhookVerificationError } from '../../src/receiver/main.js'

const now = () => Math.floor(Date.now() / 1000)

const body =
  '{"id":"evt_01HZX","event":"on_create","resource":"order","data":{"id":1,"note":"héllo ✓"},"timestamp":"2026-03-28T14:30:00.123456Z"}'

/**
 * The headers adonis-exo sends with `body`, signed by the package's signer.
 */
function signedHeaders(secrets: string[], overrides: { id?: string; timestamp?: number } = {}) {
  const id = overrides.id ?? 'evt_01HZX'
  const timestamp = overrides.timestamp ?? now()
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    ...new ExoSigner().sign({ id, timestamp, body }, secrets),
  }
}

function failure(run: () => unknown): WebhookVerificationError {
  try {
    run()
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error
    throw error
  }
  throw new Error('verifyWebhook accepted the request')
}

test.group('verifyWebhook | Standard Webhooks signature', () => {
  test('returns the parsed body of a request the package signed', ({ assert }) => {
    const secret = generateSecret()
    assert.deepEqual(verifyWebhook(body, signedHeaders([secret]), secret), JSON.parse(body))
  })

  test('reads headers in any case, as a fetch Headers, and the body as bytes', ({ assert }) => {
    const secret = generateSecret()
    const headers = signedHeaders([secret])
    const shouting = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name.toUpperCase(), value])
    )
    assert.equal(verifyWebhook(body, shouting, secret).id, 'evt_01HZX')
    assert.equal(verifyWebhook(body, new Headers(headers), secret).id, 'evt_01HZX')
    assert.equal(verifyWebhook(Buffer.from(body), headers, secret).id, 'evt_01HZX')
    assert.equal(verifyWebhook(new TextEncoder().encode(body), headers, secret).id, 'evt_01HZX')
  })

  test('agrees with the standardwebhooks package on any body, id and secret', ({ assert }) => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.stringMatching(/^[\w-]{1,40}$/),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.integer({ min: -290, max: 290 }),
        (text, id, key, skew) => {
          const secret = `whsec_${Buffer.from(key).toString('base64')}`
          const payload = JSON.stringify({ text })
          const timestamp = now() + skew
          const theirs = new Webhook(secret).sign(id, new Date(timestamp * 1000), payload)
          const headers = {
            'webhook-id': id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': theirs,
          }
          assert.deepEqual(verifyWebhook(payload, headers, secret), { text })
          assert.deepEqual(new Webhook(secret).verify(payload, headers), { text })

          const tampered = JSON.stringify({ text: `${text}!` })
          assert.throws(() => new Webhook(secret).verify(tampered, headers))
          assert.instanceOf(
            failure(() => verifyWebhook(tampered, headers, secret)),
            errors.E_INVALID_WEBHOOK_SIGNATURE
          )
        }
      ),
      { numRuns: 200 }
    )
  })

  test('a tampered body, id or timestamp, or another secret, is a signature mismatch', ({
    assert,
  }) => {
    const secret = generateSecret()
    const headers = signedHeaders([secret])
    const cases = [
      () => verifyWebhook(body.replace('"id":1', '"id":2'), headers, secret),
      () => verifyWebhook(body, { ...headers, 'webhook-id': 'evt_OTHER' }, secret),
      () =>
        verifyWebhook(
          body,
          { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1) },
          secret
        ),
      () => verifyWebhook(body, headers, generateSecret()),
      () => verifyWebhook(body, { ...headers, 'webhook-signature': 'v1,AAAA' }, secret),
      () =>
        verifyWebhook(
          body,
          { ...headers, 'webhook-signature': headers['webhook-signature'].replace('v1,', 'v2,') },
          secret
        ),
    ]
    for (const run of cases) {
      const error = failure(run)
      assert.instanceOf(error, errors.E_INVALID_WEBHOOK_SIGNATURE)
      assert.equal(error.code, 'E_INVALID_WEBHOOK_SIGNATURE')
      assert.equal(error.name, 'E_INVALID_WEBHOOK_SIGNATURE')
      assert.equal(error.status, 401)
      assert.equal(
        error.message,
        'The "webhook-signature" header does not match the body under the secret'
      )
    }
  })

  test('during a rotation either secret verifies, and a list of secrets is accepted', ({
    assert,
  }) => {
    const [current, previous, unrelated] = [generateSecret(), generateSecret(), generateSecret()]
    const headers = signedHeaders([current, previous])
    assert.lengthOf(headers['webhook-signature'].split(' '), 2)
    assert.equal(verifyWebhook(body, headers, previous).id, 'evt_01HZX')
    assert.equal(verifyWebhook(body, headers, current).id, 'evt_01HZX')

    const afterRotation = signedHeaders([current])
    assert.equal(verifyWebhook(body, afterRotation, [previous, current]).id, 'evt_01HZX')
    assert.instanceOf(
      failure(() => verifyWebhook(body, afterRotation, [previous, unrelated])),
      errors.E_INVALID_WEBHOOK_SIGNATURE
    )
  })

  test('each missing header is named', ({ assert }) => {
    const secret = generateSecret()
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const headers: Record<string, string> = signedHeaders([secret])
      delete headers[name]
      const error = failure(() => verifyWebhook(body, headers, secret))
      assert.instanceOf(error, errors.E_MISSING_WEBHOOK_HEADER)
      assert.equal(error.code, 'E_MISSING_WEBHOOK_HEADER')
      assert.equal(error.message, `Missing the "${name}" header`)
    }
  })

  test('a timestamp beyond the tolerance is refused, even when correctly signed', ({ assert }) => {
    const secret = generateSecret()
    const old = failure(() =>
      verifyWebhook(body, signedHeaders([secret], { timestamp: now() - 301 }), secret)
    )
    assert.instanceOf(old, errors.E_INVALID_WEBHOOK_TIMESTAMP)
    assert.equal(old.code, 'E_INVALID_WEBHOOK_TIMESTAMP')
    assert.match(old.message, /^The "webhook-timestamp" header is too old: 30\ds ago/)

    const ahead = failure(() =>
      verifyWebhook(body, signedHeaders([secret], { timestamp: now() + 400 }), secret)
    )
    assert.match(ahead.message, /^The "webhook-timestamp" header is too new: \d+s ahead/)

    const garbage = failure(() =>
      verifyWebhook(body, { ...signedHeaders([secret]), 'webhook-timestamp': '12abc' }, secret)
    )
    assert.equal(
      garbage.message,
      'The "webhook-timestamp" header is not a number of seconds: "12abc"'
    )

    const anHourAgo = signedHeaders([secret], { timestamp: now() - 3600 })
    assert.equal(verifyWebhook(body, anHourAgo, secret, { toleranceSeconds: 7200 }).id, 'evt_01HZX')
    assert.instanceOf(
      failure(() =>
        verifyWebhook(body, signedHeaders([secret], { timestamp: now() - 20 }), secret, {
          toleranceSeconds: 10,
        })
      ),
      errors.E_INVALID_WEBHOOK_TIMESTAMP
    )
  })

  test('a signed body that is not JSON is a 400', ({ assert }) => {
    const secret = generateSecret()
    const timestamp = now()
    const text = 'not json'
    const headers = {
      'webhook-id': 'evt_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': new Webhook(secret).sign('evt_1', new Date(timestamp * 1000), text),
    }
    const error = failure(() => verifyWebhook(text, headers, secret))
    assert.instanceOf(error, errors.E_INVALID_WEBHOOK_PAYLOAD)
    assert.equal(error.status, 400)
  })

  test('a missing secret is a programming error, not a refused request', ({ assert }) => {
    const headers = signedHeaders([generateSecret()])
    assert.throws(() => verifyWebhook(body, headers, ''), TypeError)
    assert.throws(() => verifyWebhook(body, headers, []), TypeError)
  })
})

test.group('verifyWebhook | X-Exo-Signature', () => {
  test('checks the hex HMAC of the body keyed with the whole secret', ({ assert }) => {
    const secret = generateSecret()
    const hmac = createHmac('sha256', secret).update(body).digest('hex')
    const headers = { 'X-Exo-Signature': `sha256=${hmac}` }
    assert.deepEqual(verifyWebhook(body, headers, secret, { scheme: 'exo' }), JSON.parse(body))
    assert.deepEqual(
      verifyWebhook(body, signedHeaders([secret]), [generateSecret(), secret], { scheme: 'exo' }),
      JSON.parse(body)
    )
  })

  test('a tampered body, another secret or a missing header is refused', ({ assert }) => {
    const secret = generateSecret()
    const headers = signedHeaders([secret])
    const tampered = failure(() => verifyWebhook(`${body} `, headers, secret, { scheme: 'exo' }))
    assert.instanceOf(tampered, errors.E_INVALID_WEBHOOK_SIGNATURE)
    assert.equal(
      tampered.message,
      'The "X-Exo-Signature" header does not match the body under the secret'
    )
    assert.instanceOf(
      failure(() => verifyWebhook(body, headers, generateSecret(), { scheme: 'exo' })),
      errors.E_INVALID_WEBHOOK_SIGNATURE
    )
    const missing = failure(() =>
      verifyWebhook(body, { 'webhook-signature': 'v1,x' }, secret, { scheme: 'exo' })
    )
    assert.equal(missing.message, 'Missing the "x-exo-signature" header')
  })
})
