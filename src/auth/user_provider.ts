import { symbols } from '@adonisjs/auth'
import type { Secret } from '@adonisjs/core/helpers'
import type { LucidModel, LucidRow } from '@adonisjs/lucid/types/model'
import type { AccessTokensUserProviderContract } from '@adonisjs/auth/types/access_tokens'
import type { SessionUserProviderContract } from '@adonisjs/auth/types/session'
import type { ApiTokens } from './api_tokens.js'

/**
 * Finds the configured user model's users for the package's own guards,
 * with API tokens from the package's table. The host app's auth config and
 * its user providers are not involved.
 */
export class ExoUserProvider
  implements AccessTokensUserProviderContract<LucidRow>, SessionUserProviderContract<LucidRow>
{
  declare [symbols.PROVIDER_REAL_USER]: LucidRow

  constructor(
    private userModel: () => Promise<LucidModel>,
    private tokens: () => Promise<ApiTokens>
  ) {}

  async createUserForGuard(user: LucidRow) {
    return { getId: () => user.$primaryKeyValue!, getOriginal: () => user }
  }

  async findById(identifier: string | number | bigint) {
    const User = await this.userModel()
    const user = await User.find(identifier)
    return user ? this.createUserForGuard(user) : null
  }

  async createToken(
    user: LucidRow,
    abilities?: string[],
    options?: { name?: string; expiresIn?: string | number }
  ) {
    const tokens = await this.tokens()
    return tokens.create(user, abilities, options)
  }

  async invalidateToken(tokenValue: Secret<string>) {
    const tokens = await this.tokens()
    return tokens.invalidate(tokenValue)
  }

  async verifyToken(tokenValue: Secret<string>) {
    const tokens = await this.tokens()
    return tokens.verify(tokenValue)
  }
}
