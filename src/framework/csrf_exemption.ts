import type { HttpContext } from '@adonisjs/core/http'
import type { ApplicationService } from '@adonisjs/core/types'

type ExceptRoutes = string[] | ((ctx: HttpContext) => boolean)

/**
 * Lets the host's shield skip CSRF checks on the bearer-token API: its
 * requests carry no cookies to forge, and API clients have no CSRF token.
 * The host's own exceptions keep applying.
 */
export function exemptFromCsrf(app: ApplicationService, prefix: string) {
  const csrf = app.config.get<{ exceptRoutes?: ExceptRoutes } | undefined>('shield.csrf')
  if (!csrf) return

  const hostExceptions = csrf.exceptRoutes ?? []
  const isHostException =
    typeof hostExceptions === 'function'
      ? hostExceptions
      : (ctx: HttpContext) => hostExceptions.includes(ctx.route?.pattern ?? '')

  app.config.set('shield.csrf.exceptRoutes', (ctx: HttpContext) => {
    const pattern = ctx.route?.pattern ?? ''
    return pattern === prefix || pattern.startsWith(`${prefix}/`) || isHostException(ctx)
  })
}
