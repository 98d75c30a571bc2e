import type { HttpContext, Router } from '@adonisjs/core/http'
import type { Exo } from '../../exo.js'
import type { Dashboard } from './dashboard.js'
import { dashboardAction, type ControllerImport } from './dashboard_action.js'

const Session = () => import('./session_controller.js')
const Subscriptions = () => import('./subscriptions_controller.js')
const Subscription = () => import('./subscription_page_controller.js')
const Recover = () => import('./recover_controller.js')
const Tokens = () => import('./tokens_controller.js')
const Resources = () => import('./resources_controller.js')
const Pages = () => import('./pages_controller.js')

type Handler = (ctx: HttpContext) => unknown

/**
 * HTML forms only send GET and POST: the forms of PUT and DELETE routes
 * post to the same URL with `?_method=PUT|DELETE`. Hosts with
 * `allowMethodSpoofing` route them to the PUT and DELETE routes; for the
 * others, this POST route reads `_method` itself.
 */
function spoofedMethods(handlers: Partial<Record<'PUT' | 'DELETE', Handler>>): Handler {
  return (ctx) => {
    const method = String(ctx.request.qs()._method ?? '').toUpperCase()
    const handler = handlers[method as 'PUT' | 'DELETE']
    return handler ? handler(ctx) : ctx.response.methodNotAllowed('Not allowed')
  }
}

/**
 * The dashboard (docs/dashboard.md), under the configured prefix, with route
 * names `exo.*` for the templates' `route()` links.
 */
export function registerDashboardRoutes(
  router: Router,
  dashboard: Dashboard,
  exo: () => Promise<Exo>
) {
  const to = (controller: ControllerImport, method: string, options = {}) =>
    dashboardAction(dashboard, exo, controller, method, options)
  const guest = { guest: true }
  const id = /^\d{1,18}$/
  const update = to(Subscriptions, 'update')
  const destroy = to(Subscriptions, 'destroy')
  const revoke = to(Tokens, 'destroy')

  router
    .group(() => {
      router.get('/assets/:file', (ctx) => dashboard.assets.serve(ctx)).as('exo.assets')
      router.get('/login', to(Session, 'show', guest)).as('exo.login')
      router.post('/login', to(Session, 'store', guest)).as('exo.login.store')
      router.post('/logout', to(Session, 'destroy')).as('exo.logout')
      router.get('/', ({ response }) => response.redirect().toRoute('exo.dashboard'))

      router.get('/dashboard', to(Subscriptions, 'index')).as('exo.dashboard')
      router.get('/webhooks/create', to(Subscriptions, 'create')).as('exo.webhooks.create')
      router.post('/webhooks', to(Subscriptions, 'store')).as('exo.webhooks.store')
      router.get('/webhooks/:id', to(Subscription, 'show')).as('exo.webhooks.show')
      router.get('/webhooks/:id/edit', to(Subscriptions, 'edit')).as('exo.webhooks.edit')
      router.put('/webhooks/:id', update).as('exo.webhooks.update')
      router.delete('/webhooks/:id', destroy).as('exo.webhooks.destroy')
      router.post('/webhooks/:id', spoofedMethods({ PUT: update, DELETE: destroy }))
      router.post('/webhooks/:id/toggle', to(Subscriptions, 'toggle')).as('exo.webhooks.toggle')
      router
        .get('/webhooks/:id/delete', to(Subscriptions, 'confirmDestroy'))
        .as('exo.webhooks.delete')
      router.post('/webhooks/:id/ping', to(Subscription, 'ping')).as('exo.webhooks.ping')
      router
        .post('/webhooks/:id/rotate-secret', to(Subscription, 'rotateSecret'))
        .as('exo.webhooks.rotate')
      router.post('/webhooks/:id/replay', to(Subscription, 'replay')).as('exo.webhooks.replay')
      router.get('/webhooks/:id/recover', to(Recover, 'show')).as('exo.webhooks.recover')
      router.post('/webhooks/:id/recover', to(Recover, 'store')).as('exo.webhooks.recover.store')
      router
        .post('/webhooks/:id/deliveries/:deliveryId/redeliver', to(Subscription, 'redeliver'))
        .as('exo.deliveries.redeliver')

      router.get('/tokens', to(Tokens, 'index')).as('exo.tokens')
      router.post('/tokens', to(Tokens, 'store')).as('exo.tokens.store')
      router.delete('/tokens/:id', revoke).as('exo.tokens.destroy')
      router.post('/tokens/:id', spoofedMethods({ DELETE: revoke }))

      router.get('/resources', to(Resources, 'index')).as('exo.resources')
      router.any('/*', to(Pages, 'notFound'))
    })
    .prefix(dashboard.prefix)
    .where('id', id)
}
