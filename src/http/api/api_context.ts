import type { AccessToken } from '@adonisjs/auth/access_tokens'
import type { HttpContext } from '@adonisjs/core/http'
import { WebhookDelivery } from '../../models/webhook_delivery.js'
import { WebhookSubscription } from '../../models/webhook_subscription.js'
import { looksLikeId } from '../../ids.js'
import { ApiNotFound } from './api_middleware.js'

export function currentUserId(ctx: HttpContext): number {
  return Number(ctx.exoUser!.$primaryKeyValue)
}

/**
 * The id of the API token the request came with, which the access-token
 * guard sets on the user it authenticates.
 */
export function currentTokenId(ctx: HttpContext): string {
  const { currentAccessToken } = ctx.exoUser as { currentAccessToken?: AccessToken }
  return String(currentAccessToken!.identifier)
}

/**
 * The subscription named by the route's `:id`, when the caller owns it: a
 * subscription of another user is answered like one that does not exist.
 */
export async function ownedSubscription(ctx: HttpContext) {
  const subscription = await WebhookSubscription.query()
    .where('id', ctx.params.id)
    .where('user_id', currentUserId(ctx))
    .first()
  if (!subscription) throw new ApiNotFound('No webhook subscription has this id')
  return subscription
}

/**
 * The attempt named by the route's `:deliveryId`, when it belongs to
 * `subscription`.
 */
export async function deliveryOf(subscription: WebhookSubscription, deliveryId: string) {
  // Not queried unless it has a delivery id's shape: PostgreSQL refuses a NUL in text with an error
  const delivery = looksLikeId('dlv', deliveryId)
    ? await WebhookDelivery.query()
        .where('id', deliveryId)
        .where('subscription_id', subscription.id)
        .first()
    : null
  if (!delivery) throw new ApiNotFound('No delivery of this subscription has this id')
  return delivery
}
