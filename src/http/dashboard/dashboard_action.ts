import type { HttpContext } from '@adonisjs/core/http'
import type { LucidRow } from '@adonisjs/lucid/types/model'
import { errors as vineErrors } from '@vinejs/vine'
import type { Exo } from '../../exo.js'
import type { Dashboard } from './dashboard.js'
import { flashForm } from './form_state.js'

/** Where a signed-out visitor was going, to be sent there after signing in */
export const INTENDED_URL_KEY = 'exo_intended_url'

export type DashboardController = new (dashboard: Dashboard, exo: Exo) => Record<string, any>
export type ControllerImport = () => Promise<{ default: DashboardController }>

/**
 * The signed-in user of the dashboard's own session guard (`exo_web`), if any.
 */
export async function dashboardUser(exo: Exo, ctx: HttpContext) {
  const guard = exo.auth.createAuthenticator(ctx).use('exo_web')
  return (await guard.check()) ? (guard.user as unknown as LucidRow) : undefined
}

/**
 * Answers an error of a dashboard action: a form that did not validate goes
 * back to its page with the messages and what was typed; a missing record is
 * the 404 page. Anything else is the host's exception handler's.
 */
async function renderDashboardError(error: any, ctx: HttpContext, dashboard: Dashboard) {
  if (error instanceof vineErrors.E_VALIDATION_ERROR) {
    flashForm(dashboard.flash, ctx, error.messages)
    return dashboard.back(ctx)
  }
  if (error?.status === 404 || error?.code === 'E_ROW_NOT_FOUND') {
    return dashboard.render(ctx, 'pages/not_found', {}, 404)
  }
  throw error
}

/**
 * A route handler around a dashboard controller action. Signed-out visitors
 * go to the login page (except on `guest` actions, such as the login itself);
 * validation and not-found errors get the dashboard's own pages whatever the
 * host's exception handler does.
 */
export function dashboardAction(
  dashboard: Dashboard,
  resolveExo: () => Promise<Exo>,
  controller: ControllerImport,
  method: string,
  options: { guest?: boolean } = {}
) {
  return async (ctx: HttpContext) => {
    const exo = await resolveExo()
    ctx.exoUser = await dashboardUser(exo, ctx)
    if (!ctx.exoUser && !options.guest) {
      if (ctx.request.method() === 'GET') ctx.session.put(INTENDED_URL_KEY, ctx.request.url(true))
      return ctx.response.redirect().toRoute('exo.login')
    }
    await dashboard.share(ctx, exo)
    try {
      const { default: Controller } = await controller()
      const instance = new Controller(dashboard, exo)
      return await instance[method](ctx)
    } catch (error) {
      return renderDashboardError(error, ctx, dashboard)
    }
  }
}
