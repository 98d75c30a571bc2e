import { createHash } from 'node:crypto'
import type { Database } from '@adonisjs/lucid/database'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { stringify } from 'safe-stable-stringify'
import { systemClock, type Clock } from '../clock.js'
import { framework } from '../framework/framework.js'
import { invalid } from '../http/api/validators.js'
import { dbTime } from '../models/db_time.js'
import { retryingDeadlocks } from '../models/deadlocks.js'

export const IDEMPOTENCY_TABLE = 'exo_idempotency_keys'

/** How long a key answers with its first result */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000

/** Printable ASCII, spaces included, at most 255 characters */
const KEY = /^[\x20-\x7e]{1,255}$/

/** A unique index's refusal: PostgreSQL's, MySQL's and SQLite's codes */
const UNIQUE_VIOLATIONS = new Set(['23505', 'ER_DUP_ENTRY', 'SQLITE_CONSTRAINT_UNIQUE'])

/**
 * The `Idempotency-Key` header's value, refused unless it is 1 to 255
 * printable ASCII characters (an empty one too); undefined without the header.
 */
export function idempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined
  if (typeof header !== 'string' || !KEY.test(header)) {
    invalid(
      'Idempotency-Key',
      'format',
      'The Idempotency-Key header must be 1 to 255 printable ASCII characters'
    )
  }
  return header
}

export interface IdempotentRequest {
  /** The API token the request came with: keys are per token */
  tokenId: string
  key: string
  /** The request's body as the server parsed it */
  body: unknown
}

/** What a create made: its subscription's id and the answer the client got */
export interface Created<Answer> {
  subscriptionId: number
  answer: Answer
}

/**
 * Creates once per API token and `Idempotency-Key` for 24 hours: a repeat
 * with the same body gets the first answer again, with another body a 422.
 * The create and its key commit together, so a request that fails keeps no
 * key; of concurrent requests with one key, the unique index lets the first
 * commit, and the others, having waited on it, answer its result.
 */
export class IdempotentCreates {
  constructor(
    private db: Database,
    private clock: Clock = systemClock
  ) {}

  async answer<Answer>(
    request: IdempotentRequest,
    create: (trx: TransactionClientContract) => Promise<Created<Answer>>
  ): Promise<{ answer: Answer; replayed: boolean }> {
    const scope = {
      token_id: request.tokenId,
      key_hash: createHash('sha256').update(request.key).digest('hex'),
    }
    // Keyed with the app's key: a weak password in the body cannot be guessed from the digest
    const fingerprint = framework().secrets.fingerprint(
      `adonis-exo:idempotency:${stringify(request.body)}`
    )
    const first = await this.#firstAnswer<Answer>(scope, fingerprint)
    if (first !== undefined) return { answer: first, replayed: true }

    try {
      return await retryingDeadlocks(() =>
        this.db.transaction(async (trx) => {
          const { subscriptionId, answer } = await create(trx)
          await trx.table(IDEMPOTENCY_TABLE).insert({
            ...scope,
            fingerprint,
            subscription_id: subscriptionId,
            // The first answer holds the subscription's secret
            response: framework().secrets.encrypt(answer),
            created_at: dbTime(trx, this.clock.now()),
          })
          return { answer, replayed: false }
        })
      )
    } catch (error) {
      if (!UNIQUE_VIOLATIONS.has(error?.code)) throw error
      const winner = await this.#firstAnswer<Answer>(scope, fingerprint)
      if (winner === undefined) throw error
      return { answer: winner, replayed: true }
    }
  }

  /**
   * The answer kept for the key within the last 24 hours, once the body is
   * found the same; undefined when there is none. A key past its 24 hours,
   * not pruned yet, is deleted here, which frees it.
   */
  async #firstAnswer<Answer>(
    scope: Record<string, string>,
    fingerprint: string
  ): Promise<Answer | undefined> {
    const client = this.db.connection()
    const cutoff = dbTime(client, this.clock.now() - IDEMPOTENCY_WINDOW_MS)
    const row = await client
      .from(IDEMPOTENCY_TABLE)
      .where(scope)
      .where('created_at', '>', cutoff)
      .first()
    if (!row) {
      await client.from(IDEMPOTENCY_TABLE).where(scope).where('created_at', '<=', cutoff).delete()
      return undefined
    }
    // Read first: after a change of the app's key, the digest differs whatever the body
    const answer = framework().secrets.decrypt(row.response)
    if (answer === null) {
      invalid(
        'Idempotency-Key',
        'unreadable',
        "The first answer to this Idempotency-Key is no longer readable (the app's key changed): use a new key"
      )
    }
    if (row.fingerprint !== fingerprint) {
      invalid(
        'Idempotency-Key',
        'reused',
        'The Idempotency-Key was sent with another body in the last 24 hours: use a new key for a new request'
      )
    }
    return answer as Answer
  }
}
