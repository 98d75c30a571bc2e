import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import { importDefault } from '../lazy_import.js'
import { WebhookSubscription } from '../models/webhook_subscription.js'
import type { ResolvedExoConfig, EventRecord } from '../types.js'

/**
 * Finds the active subscriptions an event goes to: same resource, the
 * trigger among its events, the app's environment among its environments
 * (none means all), and an owner allowed to see the record — admins see
 * every record, other users the records they own.
 */
export class SubscriptionMatcher {
  constructor(private config: Pick<ResolvedExoConfig, 'userModel' | 'isAdmin'>) {}

  async match(event: EventRecord, client: QueryClientContract): Promise<WebhookSubscription[]> {
    const candidates = await WebhookSubscription.query({ client })
      .where('resource', event.resource)
      .where('is_active', true)
      .orderBy('id')

    const listening = candidates.filter(
      (subscription) =>
        subscription.events.includes(event.event as any) &&
        (subscription.environments.length === 0 ||
          subscription.environments.includes(event.environment))
    )
    const strangers = listening
      .filter((subscription) => String(subscription.userId) !== event.ownerId)
      .map((subscription) => subscription.userId)
    const admins = await this.#admins(strangers, client)

    return listening.filter(
      (subscription) =>
        String(subscription.userId) === event.ownerId || admins.has(String(subscription.userId))
    )
  }

  async #admins(userIds: number[], client: QueryClientContract): Promise<Set<string>> {
    if (userIds.length === 0) return new Set()
    const User = await importDefault(this.config.userModel)
    const users = await User.query({ client }).whereIn(User.primaryKey, [...new Set(userIds)])
    return new Set(
      users
        .filter((user) => this.config.isAdmin(user))
        .map((user) => String((user as any)[User.primaryKey]))
    )
  }
}
