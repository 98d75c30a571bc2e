import { setTimeout as sleep } from 'node:timers/promises'

/** Tries a statement, or a transaction the caller owns, this many times in all */
const ATTEMPTS = 5

/** The longest wait before the second try; it doubles for each one after */
const FIRST_WAIT_MS = 20

/** MySQL's and PostgreSQL's codes for a transaction chosen as a deadlock's victim and rolled back */
const DEADLOCK_CODES = new Set(['ER_LOCK_DEADLOCK', '40P01'])

/**
 * Runs `work` again when the database ends it as a deadlock's victim: it was
 * rolled back whole, so running it again is safe. Workers writing the same
 * tables at once (completing attempts, starting others, writing new ones)
 * can deadlock on MySQL's index locks, however short their transactions.
 * Each try waits a random while first, so that the victim does not meet
 * the same transactions again. Not for work inside a transaction of the
 * caller's: the whole of it is gone.
 */
export async function retryingDeadlocks<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work()
    } catch (error) {
      if (attempt === ATTEMPTS || !DEADLOCK_CODES.has(error?.code)) throw error
      await sleep(Math.random() * FIRST_WAIT_MS * 2 ** (attempt - 1))
    }
  }
}
