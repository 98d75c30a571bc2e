import type { HttpContext } from '@adonisjs/core/http'
import { WebhookSubscription } from '../../models/webhook_subscription.js'
import { ApiNotFound } from '../api/api_middleware.js'
import type { Exo } from '../../exo.js'
import { currentUserId } from '../api/api_context.js'

export function isAdmin(exo: Exo, ctx: HttpContext) {
  return exo.config.isAdmin(ctx.exoUser) === true
}

/**
 * The subscription named by the route's `:id`: one of the signed-in user's,
 * or any when the user is an admin, who may manage every user's.
 */
export async function dashboardSubscription(exo: Exo, ctx: HttpContext) {
  const query = WebhookSubscription.query().where('id', ctx.params.id)
  if (!isAdmin(exo, ctx)) query.where('user_id', currentUserId(ctx))
  const subscription = await query.first()
  if (!subscription) throw new ApiNotFound('No webhook subscription has this id')
  return subscription
}

/**
 * The emails of users by id, for "owned by" and "modified by".
 */
export async function userEmails(exo: Exo, ids: (number | null)[]) {
  const wanted = [...new Set(ids.filter((id): id is number => id !== null))]
  const emails = new Map<number, string>()
  if (wanted.length === 0) return emails
  const User = await exo.userModel()
  const users = await User.query().whereIn(User.primaryKey, wanted)
  for (const user of users as ((typeof users)[number] & { email?: string })[]) {
    emails.set(Number(user.$primaryKeyValue), String(user.email ?? user.$primaryKeyValue))
  }
  return emails
}
