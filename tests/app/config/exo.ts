import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig } from 'adonis-exo'

/**
 * The failure policy is the contract's unless EXO_BACKOFF (comma-separated
 * durations, e.g. "0s,3s,6s,10s") or EXO_AUTO_DISABLE_AFTER say otherwise:
 * `npm run demo` shortens both so a failing endpoint is disabled within a
 * minute. The test suite leaves them unset.
 */
const backoff = env
  .get('EXO_BACKOFF', '')
  .split(',')
  .map((step) => step.trim())
  .filter(Boolean)

export default defineConfig({
  userModel: () => import('#models/user'),
  isAdmin: (user) => user.isAdmin === true,
  resources: [() => import('#models/order'), () => import('#models/note')],
  prefix: { api: '/exo-api', dashboard: '/exo' },
  queue: env.get('EXO_QUEUE', 'exo-webhooks'),
  delivery: {
    timeout: env.get('EXO_DELIVERY_TIMEOUT', '30s'),
    backoff: backoff.length > 0 ? backoff : ['0s', '30s', '2m', '10m', '1h'],
    autoDisableAfter: env.get('EXO_AUTO_DISABLE_AFTER', 20),
    allowPrivateNetworks: env.get('EXO_ALLOW_PRIVATE_NETWORKS', false),
    requireHttps: app.inProduction,
  },
  retention: '30d',
  notifications: { from: env.get('EXO_MAIL_FROM') },
})
