import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import { groupBy } from '../batcher.js'
import { compileFilter, type CompiledFilter } from '../filters/filter.js'
import { importDefault } from '../lazy_import.js'
import { WebhookSubscription } from '../models/webhook_subscription.js'
import { eventPayload } from '../recording/event_record.js'
import type { EventRecord, ResolvedExoConfig } from '../types.js'

/** What matching reads of an event: its payload only for subscriptions with a filter */
type MatchedEvent = Pick<
  EventRecord,
  'id' | 'resource' | 'event' | 'ownerId' | 'environment' | 'data' | 'occurredAt'
>

/** A subscription that may match an event, as matching reads it, and as it is sent */
export interface Candidate {
  id: number
  userId: string
  events: string[]
  environments: string[]
  /** Whether an event's payload gets through its filter */
  filter: CompiledFilter | null
  /** Loaded once, however many events it gets: its secrets decrypt on load */
  subscription(): WebhookSubscription
}

/**
 * How long matching trusts what it read while no change is announced: this
 * bounds how stale it gets after changes no announcement covers (rows
 * written by raw queries, an owner's admin status, an announcement Redis
 * missed).
 */
const MAX_AGE_MS = 1000

/**
 * What matching read at a generation of subscription changes: it serves
 * later batches as long as no change is heard of. A snapshot taken while
 * changes could go unheard serves one batch.
 */
class Snapshot {
  readonly takenAt = performance.now()
  readonly candidates = new Map<string, Promise<Candidate[]>>()
  readonly admins = new Map<string, Promise<boolean>>()

  constructor(readonly generation: number | null) {}

  isCurrent(generation: number | null) {
    return (
      generation !== null &&
      generation === this.generation &&
      performance.now() - this.takenAt < MAX_AGE_MS
    )
  }
}

/**
 * Reads each key missing from `cache` in one load for all of them; a failed
 * load is not kept.
 */
async function cached<Value>(
  cache: Map<string, Promise<Value>>,
  keys: string[],
  load: (missing: string[]) => Promise<Map<string, Value>>,
  absent: Value
): Promise<Map<string, Value>> {
  const missing = keys.filter((key) => !cache.has(key))
  if (missing.length > 0) {
    const loading = load(missing)
    loading.catch(() => missing.forEach((key) => cache.delete(key)))
    missing.forEach((key) =>
      cache.set(
        key,
        loading.then((values) => values.get(key) ?? absent)
      )
    )
  }
  const values = await Promise.all(keys.map((key) => cache.get(key)!))
  return new Map(keys.map((key, index) => [key, values[index]]))
}

function parseList(value: unknown): string[] {
  return typeof value === 'string' ? JSON.parse(value) : ((value as string[] | null) ?? [])
}

/** A stored filter, compiled once per read; none is null, unreadable JSON lets nothing through */
function filterOf(value: unknown): CompiledFilter | null {
  if (value === null || value === undefined) return null
  try {
    return compileFilter(typeof value === 'string' ? JSON.parse(value) : value)
  } catch {
    return () => false
  }
}

function candidateOf(row: Record<string, unknown>): Candidate {
  let subscription: WebhookSubscription | undefined
  return {
    id: Number(row.id),
    userId: String(row.user_id),
    events: parseList(row.events),
    environments: parseList(row.environments),
    filter: filterOf(row.filter),
    subscription: () => (subscription ??= WebhookSubscription.$createFromAdapterResult(row)!),
  }
}

/**
 * Finds the active subscriptions events go to: same resource, the trigger
 * among its events, the app's environment among its environments (none
 * means all), a payload its filter lets through, and an owner allowed to
 * see the record — admins see every record, other users the records they
 * own.
 *
 * Batches share what they read until a change is announced (every
 * committed change is, see `Exo.subscriptionsChanged`), for a second at
 * most: a change is seen by the next batch of every process, and a batch
 * costs no query while nothing changes.
 */
export class SubscriptionMatcher {
  #snapshot = new Snapshot(null)

  constructor(
    private config: Pick<ResolvedExoConfig, 'userModel' | 'isAdmin'>,
    private changesHeard: () => number | null
  ) {}

  /**
   * The subscriptions each event goes to, by event id, in id order.
   */
  async match(events: MatchedEvent[], client: QueryClientContract) {
    const matches = new Map<string, Candidate[]>()
    if (events.length === 0) return matches

    const snapshot = this.#current()
    const byResource = await cached(
      snapshot.candidates,
      [...new Set(events.map((event) => event.resource))],
      (resources) => this.#candidates(resources, client),
      []
    )
    const candidatesOf = new Map<MatchedEvent, Candidate[]>()
    for (const event of events) {
      let payload: unknown
      const passes = (filter: CompiledFilter) => filter((payload ??= eventPayload(event)))
      candidatesOf.set(
        event,
        byResource
          .get(event.resource)!
          .filter(
            (candidate) =>
              candidate.events.includes(event.event) &&
              (candidate.environments.length === 0 ||
                candidate.environments.includes(event.environment)) &&
              (candidate.filter === null || passes(candidate.filter))
          )
      )
    }

    const otherOwners = new Set<string>()
    candidatesOf.forEach((candidates, event) =>
      candidates.forEach((candidate) => {
        if (candidate.userId !== event.ownerId) otherOwners.add(candidate.userId)
      })
    )
    const admins = await cached(
      snapshot.admins,
      [...otherOwners],
      (userIds) => this.#admins(userIds, client),
      false
    )
    candidatesOf.forEach((candidates, event) =>
      matches.set(
        event.id,
        candidates.filter(
          (candidate) => candidate.userId === event.ownerId || admins.get(candidate.userId)
        )
      )
    )
    return matches
  }

  /**
   * The snapshot to match with: the last one while no change was heard of
   * since it was taken, else a new one.
   */
  #current() {
    const generation = this.changesHeard()
    if (!this.#snapshot.isCurrent(generation)) this.#snapshot = new Snapshot(generation)
    return this.#snapshot
  }

  async #candidates(resources: string[], client: QueryClientContract) {
    const rows = await client
      .from('exo_subscriptions')
      .whereIn('resource', resources)
      .where('is_active', true)
      .orderBy('id')
    const byResource = groupBy(rows, (row: Record<string, unknown>) => row.resource as string)
    return new Map([...byResource].map(([resource, group]) => [resource, group.map(candidateOf)]))
  }

  async #admins(userIds: string[], client: QueryClientContract) {
    const User = await importDefault(this.config.userModel)
    const users = await User.query({ client }).whereIn(User.primaryKey, userIds)
    return new Map(
      users.map((user) => [String((user as any)[User.primaryKey]), this.config.isAdmin(user)])
    )
  }
}
