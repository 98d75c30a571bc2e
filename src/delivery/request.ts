import type { WebhookSubscription } from '../models/webhook_subscription.js'
import type { EventRecord } from '../types.js'
import { eventBody } from '../recording/event_record.js'
import type { OutgoingRequest } from './sender.js'
import type { Signer } from './signer.js'

const REDACTED = '[redacted]'

function authorization(subscription: WebhookSubscription): string | undefined {
  const auth = subscription.auth
  if (auth?.type === 'basic') {
    return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
  }
  if (auth?.type === 'bearer') return `Bearer ${auth.token}`
}

export interface BuiltRequest extends OutgoingRequest {
  /** The headers as the activity log keeps them, credentials redacted */
  loggedHeaders: Record<string, string>
}

/**
 * The POST one attempt sends: the body and headers docs/receiving.md describes, the
 * subscription's own headers and its credentials.
 */
export function buildRequest(
  subscription: WebhookSubscription,
  event: EventRecord,
  attemptId: string,
  signer: Signer,
  now = Date.now()
): BuiltRequest {
  const body = eventBody(event)
  const timestamp = Math.floor(now / 1000)
  const credentials: Record<string, string> = {}
  const auth = authorization(subscription)
  if (auth) credentials['Authorization'] = auth
  if (subscription.secretHeader) {
    credentials[subscription.secretHeader.name] = subscription.secretHeader.value
  }

  const headers = {
    ...subscription.headers,
    'Content-Type': 'application/json',
    'User-Agent': 'Exo-Webhook/1.0',
    'X-Exo-Event': event.id,
    'X-Exo-Delivery': attemptId,
    'webhook-id': event.id,
    'webhook-timestamp': String(timestamp),
    ...signer.sign({ id: event.id, timestamp, body }, subscription.signingSecrets(now)),
  }
  const redacted = Object.fromEntries(Object.keys(credentials).map((name) => [name, REDACTED]))

  return {
    url: subscription.url,
    body,
    headers: { ...headers, ...credentials },
    loggedHeaders: { ...headers, ...redacted },
  }
}
