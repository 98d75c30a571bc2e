import { AuthManager } from '@adonisjs/auth'
import { AccessTokensGuard } from '@adonisjs/auth/access_tokens'
import { SessionGuard } from '@adonisjs/auth/session'
import type { HttpContext } from '@adonisjs/core/http'
import type { EmitterService } from '@adonisjs/core/types'
import type { LucidModel } from '@adonisjs/lucid/types/model'
import type { ApiTokens } from './api_tokens.js'
import { ExoUserProvider } from './user_provider.js'

/**
 * The package's own auth: an access-token guard for the API and a session
 * guard for the dashboard, under names the host app does not use, so signing
 * in here never signs into the host app, nor the reverse, and the host's
 * config/auth.ts stays untouched.
 */
export function createExoAuth(
  emitter: EmitterService,
  userModel: () => Promise<LucidModel>,
  tokens: () => Promise<ApiTokens>
) {
  const users = new ExoUserProvider(userModel, tokens)
  return new AuthManager({
    default: 'exo_api',
    guards: {
      exo_api: (ctx: HttpContext) => new AccessTokensGuard('exo_api', ctx, emitter as any, users),
      exo_web: (ctx: HttpContext) =>
        new SessionGuard('exo_web', ctx, { useRememberMeTokens: false }, emitter as any, users),
    },
  })
}

export type ExoAuthManager = ReturnType<typeof createExoAuth>
export type ExoAuthenticator = ReturnType<ExoAuthManager['createAuthenticator']>
