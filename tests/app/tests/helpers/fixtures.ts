import { randomUUID } from 'node:crypto'
import { WebhookSubscription } from 'adonis-exo'
import User from '#models/user'
import type { Trigger } from 'adonis-exo'

export function createUser(attributes: Partial<{ isAdmin: boolean; email: string }> = {}) {
  return User.create({
    email: attributes.email ?? `user-${randomUUID()}@example.com`,
    password: 'secret-password',
    isAdmin: attributes.isAdmin ?? false,
  })
}

export function subscribe(
  user: User,
  url: string,
  attributes: { resource?: string; events?: Trigger[] } & Partial<WebhookSubscription> = {}
) {
  return WebhookSubscription.create({
    userId: user.id,
    name: 'Test hook',
    url,
    resource: 'order',
    events: ['on_create'],
    ...attributes,
  })
}
