import { randomUUID } from 'node:crypto'
import type { TestContext } from '@japa/runner/core'
import emitter from '@adonisjs/core/services/emitter'
import { WebhookSubscription } from 'adonis-exo'
import type { ExoEvent, Trigger } from 'adonis-exo'
import Order from '#models/order'
import User from '#models/user'
import { startReceiver, type Receiver } from '#tests/helpers/receiver'

export function createUser(attributes: Partial<{ isAdmin: boolean; email: string }> = {}) {
  return User.create({
    email: attributes.email ?? `user-${randomUUID()}@example.com`,
    password: 'secret-password',
    isAdmin: attributes.isAdmin ?? false,
  })
}

type SubscriptionAttributes = {
  resource?: string
  events?: Trigger[]
} & Partial<WebhookSubscription>

export function subscribe(user: User, url: string, attributes: SubscriptionAttributes = {}) {
  return WebhookSubscription.create({
    userId: user.id,
    name: 'Test hook',
    url,
    resource: 'order',
    events: ['on_create'],
    ...attributes,
  })
}

/**
 * Creates an order of `user` and returns the request `receiver` got for it.
 */
export async function deliveredOrder(user: User, receiver: Receiver) {
  await Order.create({ userId: user.id, total: 1, status: 'new' })
  const received = await receiver.waitFor(receiver.received.length + 1)
  return received[received.length - 1]
}

/**
 * The events this process records (`exo:event:recorded`) while the test
 * runs, in the order of their saves: the recorder writes them one batch
 * after another, so once one is here, every save before it has its own.
 */
export function recordedEvents(cleanup: TestContext['cleanup']) {
  const seen: ExoEvent[] = []
  cleanup(emitter.on('exo:event:recorded', (event) => seen.push(event)))
  return seen
}

/**
 * A receiver answering `status` with `headers` and `body` (`delayMs` later),
 * closed when the test ends, a new user, and their subscription to the receiver.
 */
export async function subscribedReceiver(
  cleanup: TestContext['cleanup'],
  options: {
    status?: number
    headers?: Record<string, string>
    body?: string
    delayMs?: number
    user?: { isAdmin?: boolean }
    subscription?: SubscriptionAttributes
  } = {}
) {
  const { status, headers, body, delayMs } = options
  const receiver = await startReceiver({ status, headers, body, delayMs, cleanup })
  const user = await createUser(options.user)
  const subscription = await subscribe(user, receiver.url, options.subscription)
  return { receiver, user, subscription }
}
