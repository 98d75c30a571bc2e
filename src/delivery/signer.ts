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
 * Produces the signature headers of a request. The first secret is the
 * current one; any others are still valid during a rotation grace period.
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
  sign({ id, timestamp, body }: SignedMessage, secrets: string[]) {
    const exoSignature = createHmac('sha256', secrets[0]).update(body).digest('hex')
    const standardSignatures = secrets.map((secret) => {
      const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64')
      const signature = createHmac('sha256', key)
        .update(`${id}.${timestamp}.${body}`)
        .digest('base64')
      return `v1,${signature}`
    })
    return {
      'X-Exo-Signature': `sha256=${exoSignature}`,
      'webhook-signature': standardSignatures.join(' '),
    }
  }
}
