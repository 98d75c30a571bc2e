import { errors as authErrors } from '@adonisjs/auth'
import type { HttpContext } from '@adonisjs/core/http'
import type { LucidRow } from '@adonisjs/lucid/types/model'
import { errors as vineErrors } from '@vinejs/vine'
import type { Exo } from '../../exo.js'

declare module '@adonisjs/core/http' {
  interface HttpContext {
    /** The user of the Exo API token, or of the dashboard session, of this request */
    exoUser?: LucidRow
  }
}

export class ApiNotFound extends Error {
  status = 404
}

/**
 * Answers an error in the contract's shapes (401, 404, 422 with
 * `errors[].field`), whatever the host app's exception handler does, and
 * never with a stack trace.
 */
export function renderApiError(error: any, ctx: HttpContext) {
  const { response } = ctx
  if (error instanceof vineErrors.E_VALIDATION_ERROR) {
    const errors = error.messages.map(({ field, rule, message }: Record<string, string>) => ({
      field,
      rule,
      message,
    }))
    return response.status(422).send({ message: 'Validation failed', errors })
  }
  if (error instanceof authErrors.E_UNAUTHORIZED_ACCESS) {
    return response.status(401).send({ message: 'Missing, invalid, expired or revoked API token' })
  }
  if (error instanceof ApiNotFound || error?.code === 'E_ROW_NOT_FOUND') {
    return response.status(404).send({ message: error.message || 'Not found' })
  }
  const status = Number(error?.status)
  if (status >= 400 && status < 500) {
    return response.status(status).send({ message: error.message })
  }
  ctx.logger.error({ err: error }, 'adonis-exo API request failed')
  return response.status(500).send({ message: 'Internal server error' })
}

type Action = (ctx: HttpContext) => unknown
type ControllerImport = () => Promise<{ default: new (exo: Exo) => Record<string, any> }>

/**
 * Route handlers around controller actions, each controller given the app's
 * Exo. AdonisJS hands middleware errors to the host's exception handler
 * before an outer middleware could see them, so authentication and error
 * rendering happen here, inside the handler, where the API decides the answer.
 */
export function apiActions(resolveExo: () => Promise<Exo>) {
  return function apiAction(
    controller: ControllerImport,
    method: string,
    options: { authenticate: boolean } = { authenticate: true }
  ) {
    return async (ctx: HttpContext) => {
      try {
        const exo = await resolveExo()
        if (options.authenticate) {
          const guard = exo.auth.createAuthenticator(ctx).use('exo_api')
          ctx.exoUser = (await guard.authenticate()) as unknown as LucidRow
        }
        const { default: Controller } = await controller()
        const instance = new Controller(exo)
        return await (instance[method] as Action).call(instance, ctx)
      } catch (error) {
        return renderApiError(error, ctx)
      }
    }
  }
}
