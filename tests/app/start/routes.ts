import router from '@adonisjs/core/services/router'
import { verifyWebhookMiddleware } from 'adonis-exo/receiver/middleware'
import env from '#start/env'
import { middleware } from '#start/kernel'

const SessionController = () => import('#controllers/session_controller')
const OrdersController = () => import('#controllers/orders_controller')
const ReceivedWebhooksController = () => import('#controllers/received_webhooks_controller')

router.get('/', async () => ({ app: 'exo host app', dashboard: '/exo/dashboard' }))
router.post('/login', [SessionController, 'store'])
router.post('/logout', [SessionController, 'destroy']).use(middleware.auth())
router.get('/me', [SessionController, 'show']).use(middleware.auth())
router.post('/orders', [OrdersController, 'store']).use(middleware.auth())

// The app receiving webhooks signed with WEBHOOK_SECRET (the test suite's own sender)
router
  .post('/webhooks/exo', [ReceivedWebhooksController, 'store'])
  .use(verifyWebhookMiddleware({ secret: env.get('WEBHOOK_SECRET') }))
