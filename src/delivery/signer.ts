import { createHmac } from 'node:crypto'
import { SECRET_PREFIX } from '../subscriptions/secrets.js'

export interface SignedMessage {
  /** The event id, sent as `webhook-id` */
  id: string
  /** Unix seconds, sent as `webhook-timestamp` */
  timestamp: number
  body: string
}

/**
 * `X-Exo-Signature`'s value: the hex HMAC-SHA256 of the body keyed with the
 * whole secret string, as Exo for Laravel receivers check it.
 */
export function exoSignature(body: string | Uint8Array, secret: string) {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

/**
 * One `webhook-signature` entry as the Standard Webhooks spec defines it:
 * `v1,` and the base64 HMAC-SHA256 of `<id>.<timestamp>.<body>`, keyed with
 * the base64-decoded part of the secret after `whsec_`.
 */
export function standardSignature(
  { id, timestamp, body }: { id: string; timestamp: number | string; body: string | Uint8Array },
  secret: string
) {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret
  const signature = createHmac('sha256', Buffer.from(encoded, 'base64'))
    .update(`${id}.${timestamp}.`)
    .update(body)
    .digest('base64')
  return `v1,${signature}`
}

/**
 * Produces the signature headers of a request, added after its other
 * headers. `config/exo.ts` takes one as `delivery.signer`, in place of the
 * default `ExoSigner` and its contract headers: a signer that keeps those
 * calls `ExoSigner`. The first secret is the current one; any others are
 * still valid during a rotation grace period.
 */
export interface Signer {
  sign(message: SignedMessage, secrets: string[]): Record<string, string>
}

/**
 * Signs as Exo for Laravel receivers expect (`X-Exo-Signature`, HMAC of the
 * body keyed with the whole secret string) and as the Standard Webhooks spec
 * says (`webhook-signature`, keyed with the decoded part after `whsec_`).
 */
export class ExoSigner implements Signer {
  sign(message: SignedMessage, secrets: string[]) {
    return {
      'X-Exo-Signature': exoSignature(message.body, secrets[0]),
      'webhook-signature': secrets.map((secret) => standardSignature(message, secret)).join(' '),
    }
  }
}
