import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import { dbTime } from '../models/db_time.js'

/** A window of attempts: from `since` (included) to `until` (excluded; none: up to now) */
export interface AttemptWindow {
  since: Date
  until?: Date
}

/**
 * The events a recovery re-sends to a subscription: those whose last attempt
 * created in the window failed, and that no later attempt delivered since.
 * An event with an attempt still pending is left to it; a ping is a test,
 * not an event to recover. Attempt numbers, not times, say which attempt
 * came later: some dialects keep whole seconds only.
 */
export function failedEventsQuery(
  client: QueryClientContract,
  subscriptionId: number,
  window: AttemptWindow
) {
  // Times compare as the dialect stores them: to the second on some, so "now" is no bound
  const until = window.until && dbTime(client, window.until)
  const query = client
    .from('exo_deliveries as failed')
    .join('exo_events', 'exo_events.id', 'failed.event_id')
    .where('failed.subscription_id', subscriptionId)
    .where('failed.status', 'failed')
    .where('failed.created_at', '>=', dbTime(client, window.since))
    .whereNot('exo_events.event', 'ping')
    .whereNotExists((other) =>
      other
        .from('exo_deliveries as other')
        .select('other.id')
        .whereColumn('other.subscription_id', 'failed.subscription_id')
        .whereColumn('other.event_id', 'failed.event_id')
        .where((blocking) =>
          blocking.where('other.status', 'pending').orWhere((later) => {
            later.whereColumn('other.attempt', '>', 'failed.attempt')
            // Without an end, every later attempt is in the window
            if (until) {
              later.where((settles) =>
                settles.where('other.created_at', '<', until).orWhere('other.status', 'success')
              )
            }
          })
        )
    )
  if (until) query.where('failed.created_at', '<', until)
  return query
}
