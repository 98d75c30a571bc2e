import { DbAccessTokensProvider } from '@adonisjs/auth/access_tokens'
import type { LucidModel } from '@adonisjs/lucid/types/model'
import { importDefault } from '../lazy_import.js'
import type { ResolvedExoConfig } from '../types.js'

export type ApiTokens = DbAccessTokensProvider<LucidModel>

/**
 * API tokens of the configured user model, kept in the package's own table
 * so the host app's access tokens (if any) stay apart.
 */
export async function apiTokensFor(
  config: Pick<ResolvedExoConfig, 'userModel'>
): Promise<ApiTokens> {
  const User = await importDefault(config.userModel)
  return DbAccessTokensProvider.forModel(User, {
    table: 'exo_api_tokens',
    type: 'exo_api_token',
    prefix: 'exo_',
  })
}
