import { debuglog } from 'node:util'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'

const debug = debuglog('adonis-exo')

/** The change is saved already: an app without Exo's provider must not fail the save */
async function announce() {
  const service = await import('../../services/main.js').catch((error) => {
    debug('no Exo manager to announce a subscription change to: %s', error.message)
  })
  await service?.default.subscriptionsChanged()
}

/**
 * Announces a subscription's change to every process's matching once it is
 * committed: announced before, a process could read the old row again and
 * keep it under the new version.
 */
export async function announceSubscriptionChange(trx: TransactionClientContract | undefined) {
  if (trx && !trx.isCompleted) trx.after('commit', announce)
  else await announce()
}
