import { createHmac } from 'node:crypto'
import { test } from '@japa/runner'
import { Webhook } from 'standardwebhooks'
import { ExoSigner } from '../../src/delivery/signer.js'
import { generateSecret, maskSecret, secretHint } from '../../src/subscriptions/secrets.js'

const message = {
  id: 'evt_01HZX',
  timestamp: Math.floor(Date.now() / 1000),
  body: '{"id":"evt_01HZX","event":"on_create","resource":"order","data":{"id":1},"timestamp":"2026-03-28T14:30:00.123456Z"}',
}

function headersOf(signatures: Record<string, string>) {
  return {
    'webhook-id': message.id,
    'webhook-timestamp': String(message.timestamp),
    'webhook-signature': signatures['webhook-signature'],
  }
}

test.group('ExoSigner', () => {
  test('secrets are whsec_ and the base64 of 32 random bytes', ({ assert }) => {
    const secret = generateSecret()
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
    assert.lengthOf(Buffer.from(secret.slice(6), 'base64'), 32)
    assert.notEqual(generateSecret(), secret)
    assert.equal(maskSecret(secretHint(secret)), `whsec_****${secret.slice(-4)}`)
  })

  test('webhook-signature verifies with the standardwebhooks package', ({ assert }) => {
    const secret = generateSecret()
    const signatures = new ExoSigner().sign(message, [secret])
    assert.match(signatures['webhook-signature'], /^v1,[A-Za-z0-9+/]+=*$/)
    assert.deepEqual(
      new Webhook(secret).verify(message.body, headersOf(signatures)),
      JSON.parse(message.body)
    )
    assert.throws(() => new Webhook(generateSecret()).verify(message.body, headersOf(signatures)))
  })

  test('X-Exo-Signature is the hex HMAC-SHA256 of the body keyed with the whole secret', ({
    assert,
  }) => {
    const secret = generateSecret()
    const signatures = new ExoSigner().sign(message, [secret])
    const expected = createHmac('sha256', secret).update(message.body).digest('hex')
    assert.equal(signatures['X-Exo-Signature'], `sha256=${expected}`)
  })

  test('during a rotation both secrets sign webhook-signature, the current one X-Exo-Signature', ({
    assert,
  }) => {
    const [current, previous] = [generateSecret(), generateSecret()]
    const signatures = new ExoSigner().sign(message, [current, previous])
    assert.lengthOf(signatures['webhook-signature'].split(' '), 2)
    for (const secret of [current, previous]) {
      assert.doesNotThrow(() => new Webhook(secret).verify(message.body, headersOf(signatures)))
    }
    const expected = createHmac('sha256', current).update(message.body).digest('hex')
    assert.equal(signatures['X-Exo-Signature'], `sha256=${expected}`)
  })
})
