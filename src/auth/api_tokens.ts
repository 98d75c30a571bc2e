import { AccessToken, DbAccessTokensProvider } from '@adonisjs/auth/access_tokens'
import type { Secret } from '@adonisjs/core/helpers'
import type { LucidModel } from '@adonisjs/lucid/types/model'
import { importDefault } from '../lazy_import.js'
import type { ResolvedExoConfig } from '../types.js'

/** How stale a token's `last_used_at` may get before a request writes it again */
const LAST_USED_PRECISION_MS = 60_000

/**
 * The access tokens of `@adonisjs/auth`, but a request writes the token's
 * `last_used_at` only once the secret is verified, and at most once a minute:
 * the library writes it on every request, a write and a disk flush each.
 */
class ApiTokensProvider extends DbAccessTokensProvider<LucidModel> {
  async verify(tokenValue: Secret<string>) {
    const decoded = AccessToken.decode(this.prefix, tokenValue.release())
    if (!decoded) return null

    const db = await this.getDb()
    const dbRow = await db
      .query()
      .from(this.table)
      .where({ id: decoded.identifier, type: this.type })
      .first()
    if (!dbRow) return null

    const token = this.dbRowToAccessToken(dbRow)
    if (!token.verify(decoded.secret) || token.isExpired()) return null

    const now = new Date()
    // A Date, or whatever the dialect's driver returned for the column
    const lastUsedAt = token.lastUsedAt ? new Date(token.lastUsedAt).getTime() : 0
    if (now.getTime() - lastUsedAt >= LAST_USED_PRECISION_MS) {
      await db
        .from(this.table)
        .where({ id: dbRow.id, type: dbRow.type })
        .update({ last_used_at: now })
      token.lastUsedAt = now
    }
    return token
  }
}

export type ApiTokens = ApiTokensProvider

/**
 * API tokens of the configured user model, kept in the package's own table
 * so the host app's access tokens (if any) stay apart.
 */
export async function apiTokensFor(
  config: Pick<ResolvedExoConfig, 'userModel'>
): Promise<ApiTokens> {
  const User = await importDefault(config.userModel)
  return new ApiTokensProvider({
    tokenableModel: User,
    table: 'exo_api_tokens',
    type: 'exo_api_token',
    prefix: 'exo_',
  })
}
