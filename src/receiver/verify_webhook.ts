import { timingSafeEqual } from 'node:crypto'
import { exoSignature, standardSignature } from '../delivery/signer.js'
import {
  E_INVALID_WEBHOOK_PAYLOAD,
  E_INVALID_WEBHOOK_SIGNATURE,
  E_INVALID_WEBHOOK_TIMESTAMP,
  E_MISSING_WEBHOOK_HEADER,
} from './errors.js'

/** One secret, or several while a rotation is under way */
export type WebhookSecrets = string | readonly string[]

/**
 * The request's headers: a plain object with names in any case (Node's
 * `request.headers`, AdonisJS's `request.headers()`) or a fetch `Headers`.
 */
export type WebhookHeaders =
  { get(name: string): string | null | undefined } | Record<string, string | string[] | undefined>

export interface VerifyWebhookOptions {
  /**
   * The signature to check: `standard` (default) checks `webhook-signature`
   * with `webhook-id` and `webhook-timestamp`, so old requests cannot be
   * replayed; `exo` checks `X-Exo-Signature` alone, as Exo for Laravel
   * receivers do.
   */
  scheme?: 'standard' | 'exo'
  /** How far `webhook-timestamp` may be from now, in seconds (default 300) */
  toleranceSeconds?: number
}

/**
 * The body adonis-exo sends.
 */
export interface ExoWebhookPayload<Data = any> {
  id: string
  event: string
  resource: string
  data: Data
  timestamp: string
}

const DEFAULT_TOLERANCE_SECONDS = 5 * 60

function headerReader(headers: WebhookHeaders): (name: string) => string | undefined {
  if (typeof headers.get === 'function') {
    const fetchHeaders = headers as { get(name: string): string | null | undefined }
    return (name) => fetchHeaders.get(name) ?? undefined
  }
  const byName = new Map<string, string | string[] | undefined>()
  for (const [name, value] of Object.entries(headers)) byName.set(name.toLowerCase(), value)
  return (name) => {
    const value = byName.get(name)
    return Array.isArray(value) ? value.join(' ') : value
  }
}

function requireHeader(read: (name: string) => string | undefined, name: string) {
  const value = read(name)?.trim()
  if (!value) throw new E_MISSING_WEBHOOK_HEADER(`Missing the "${name}" header`)
  return value
}

function secretList(secret: WebhookSecrets): string[] {
  const secrets = (typeof secret === 'string' ? [secret] : [...secret]).filter(
    (value) => typeof value === 'string' && value.length > 0
  )
  if (secrets.length === 0) {
    throw new TypeError('verifyWebhook needs the subscription secret (whsec_…)')
  }
  return secrets
}

function sameText(received: string, expected: string) {
  const a = Buffer.from(received)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

function checkTimestamp(value: string, toleranceSeconds: number) {
  if (!/^\d{1,15}$/.test(value)) {
    throw new E_INVALID_WEBHOOK_TIMESTAMP(
      `The "webhook-timestamp" header is not a number of seconds: "${value.slice(0, 40)}"`
    )
  }
  const drift = Math.floor(Date.now() / 1000) - Number(value)
  if (drift > toleranceSeconds) {
    throw new E_INVALID_WEBHOOK_TIMESTAMP(
      `The "webhook-timestamp" header is too old: ${drift}s ago, more than the ${toleranceSeconds}s tolerated`
    )
  }
  if (-drift > toleranceSeconds) {
    throw new E_INVALID_WEBHOOK_TIMESTAMP(
      `The "webhook-timestamp" header is too new: ${-drift}s ahead, more than the ${toleranceSeconds}s tolerated`
    )
  }
}

function verifyStandard(
  body: string | Uint8Array,
  read: (name: string) => string | undefined,
  secrets: string[],
  toleranceSeconds: number
) {
  const id = requireHeader(read, 'webhook-id')
  const timestamp = requireHeader(read, 'webhook-timestamp')
  const signatures = requireHeader(read, 'webhook-signature').split(/\s+/)
  checkTimestamp(timestamp, toleranceSeconds)

  // Any `v1` signature under any secret will do: during a rotation the
  // sender signs with both secrets, and the receiver may know either.
  const matches = secrets.some((secret) => {
    const expected = standardSignature({ id, timestamp, body }, secret)
    return signatures.some((signature) => sameText(signature, expected))
  })
  if (!matches) {
    throw new E_INVALID_WEBHOOK_SIGNATURE(
      'The "webhook-signature" header does not match the body under the secret'
    )
  }
}

function verifyExo(
  body: string | Uint8Array,
  read: (name: string) => string | undefined,
  secrets: string[]
) {
  const signature = requireHeader(read, 'x-exo-signature')
  if (!secrets.some((secret) => sameText(signature, exoSignature(body, secret)))) {
    throw new E_INVALID_WEBHOOK_SIGNATURE(
      'The "X-Exo-Signature" header does not match the body under the secret'
    )
  }
}

/**
 * Checks that a request comes from adonis-exo with one of `secret`s and
 * returns its parsed body; throws a `WebhookVerificationError` otherwise.
 * `rawBody` must be the bytes received, before any JSON parsing.
 */
export function verifyWebhook<Payload = ExoWebhookPayload>(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  secret: WebhookSecrets,
  options: VerifyWebhookOptions = {}
): Payload {
  const secrets = secretList(secret)
  const read = headerReader(headers)
  if (options.scheme === 'exo') {
    verifyExo(rawBody, read, secrets)
  } else {
    verifyStandard(rawBody, read, secrets, options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)
  }

  try {
    return JSON.parse(typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody))
  } catch {
    throw new E_INVALID_WEBHOOK_PAYLOAD('The webhook body is not JSON')
  }
}
