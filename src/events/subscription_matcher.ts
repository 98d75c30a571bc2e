import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import { groupBy } from '../batcher.js'
import { importDefault } from '../lazy_import.js'
import type { EventRecord, ResolvedExoConfig } from '../types.js'

/** What matching reads of an event: not its payload */
type MatchedEvent = Pick<EventRecord, 'id' | 'resource' | 'event' | 'ownerId' | 'environment'>

/** A subscription as matching reads it, with its row to load it from when it is to be sent */
export interface Listener {
  id: number
  userId: string
  events: string[]
  environments: string[]
  row: Record<string, unknown>
}

function parseList(value: unknown): string[] {
  return typeof value === 'string' ? JSON.parse(value) : ((value as string[] | null) ?? [])
}

/**
 * Finds the active subscriptions events go to: same resource, the trigger
 * among its events, the app's environment among its environments (none
 * means all), and an owner allowed to see the record — admins see every
 * record, other users the records they own. One query per batch of events
 * for the subscriptions, one for the admins among their owners.
 */
export class SubscriptionMatcher {
  constructor(private config: Pick<ResolvedExoConfig, 'userModel' | 'isAdmin'>) {}

  /**
   * The subscriptions each event goes to, by event id, in id order.
   */
  async match(events: MatchedEvent[], client: QueryClientContract) {
    const matches = new Map<string, Listener[]>()
    if (events.length === 0) return matches

    const rows = await client
      .from('exo_subscriptions')
      .whereIn('resource', [...new Set(events.map((event) => event.resource))])
      .where('is_active', true)
      .orderBy('id')
    const byResource = groupBy(
      rows.map((row: Record<string, unknown>) => ({
        resource: row.resource as string,
        listener: {
          id: Number(row.id),
          userId: String(row.user_id),
          events: parseList(row.events),
          environments: parseList(row.environments),
          row,
        } satisfies Listener,
      })),
      (row) => row.resource
    )

    const listening = new Map<MatchedEvent, Listener[]>()
    for (const event of events) {
      const candidates = byResource.get(event.resource) ?? []
      listening.set(
        event,
        candidates
          .map((row) => row.listener)
          .filter(
            (listener) =>
              listener.events.includes(event.event) &&
              (listener.environments.length === 0 ||
                listener.environments.includes(event.environment))
          )
      )
    }

    const strangers = new Set<string>()
    listening.forEach((listeners, event) =>
      listeners.forEach((listener) => {
        if (listener.userId !== event.ownerId) strangers.add(listener.userId)
      })
    )
    const admins = await this.#admins([...strangers], client)
    listening.forEach((listeners, event) =>
      matches.set(
        event.id,
        listeners.filter(
          (listener) => listener.userId === event.ownerId || admins.has(listener.userId)
        )
      )
    )
    return matches
  }

  async #admins(userIds: string[], client: QueryClientContract): Promise<Set<string>> {
    if (userIds.length === 0) return new Set()
    const User = await importDefault(this.config.userModel)
    const users = await User.query({ client }).whereIn(User.primaryKey, userIds)
    return new Set(
      users
        .filter((user) => this.config.isAdmin(user))
        .map((user) => String((user as any)[User.primaryKey]))
    )
  }
}
