import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig } from 'adonis-exo'

export default defineConfig({
  userModel: () => import('#models/user'),
  isAdmin: (user) => user.isAdmin === true,
  resources: [() => import('#models/order'), () => import('#models/note')],
  prefix: { api: '/exo-api', dashboard: '/exo' },
  queue: env.get('EXO_QUEUE', 'exo-webhooks'),
  delivery: {
    timeout: env.get('EXO_DELIVERY_TIMEOUT', '30s'),
    backoff: ['0s', '30s', '2m', '10m', '1h'],
    autoDisableAfter: 20,
    allowPrivateNetworks: env.get('EXO_ALLOW_PRIVATE_NETWORKS', false),
    requireHttps: app.inProduction,
  },
  retention: '30d',
  notifications: { from: env.get('EXO_MAIL_FROM') },
})
