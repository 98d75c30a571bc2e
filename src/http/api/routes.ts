import type { Router } from '@adonisjs/core/http'
import type { Exo } from '../../exo.js'
import { apiActions } from './api_middleware.js'

const Webhooks = () => import('./webhooks_controller.js')
const Deliveries = () => import('./deliveries_controller.js')
const Meta = () => import('./meta_controller.js')
const Stats = () => import('./stats_controller.js')

/**
 * The subscriptions API (docs/api.md), under the configured prefix.
 */
export function registerApiRoutes(router: Router, prefix: string, exo: () => Promise<Exo>) {
  const apiAction = apiActions(exo)
  router
    .group(() => {
      router.get('/openapi.json', apiAction(Meta, 'openapi', { authenticate: false }))
      router.get('/whoami', apiAction(Meta, 'whoami'))
      router.get('/resources', apiAction(Meta, 'resources'))
      router.get('/event-types', apiAction(Meta, 'eventTypes'))

      router
        .group(() => {
          router.get('/webhooks', apiAction(Webhooks, 'index'))
          router.post('/webhooks', apiAction(Webhooks, 'store'))
          router.get('/webhooks/:id', apiAction(Webhooks, 'show'))
          router.route('/webhooks/:id', ['PUT', 'PATCH'], apiAction(Webhooks, 'update'))
          router.delete('/webhooks/:id', apiAction(Webhooks, 'destroy'))
          router.post('/webhooks/:id/rotate-secret', apiAction(Webhooks, 'rotateSecret'))
          router.post('/webhooks/:id/ping', apiAction(Webhooks, 'ping'))
          router.get('/webhooks/:id/deliveries', apiAction(Deliveries, 'index'))
          router.get('/webhooks/:id/deliveries/:deliveryId', apiAction(Deliveries, 'show'))
          router.post(
            '/webhooks/:id/deliveries/:deliveryId/redeliver',
            apiAction(Deliveries, 'redeliver')
          )
          router.post('/webhooks/:id/replay', apiAction(Deliveries, 'replay'))
          router.post('/webhooks/:id/recover', apiAction(Deliveries, 'recover'))
          router.get('/webhooks/:id/stats', apiAction(Stats, 'show'))
        })
        .where('id', /^\d{1,18}$/)

      router.any('/', apiAction(Meta, 'notFound', { authenticate: false }))
      router.any('/*', apiAction(Meta, 'notFound', { authenticate: false }))
    })
    .prefix(prefix)
}
