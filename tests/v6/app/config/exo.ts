import env from '#start/env'
import { defineConfig } from 'adonis-exo'

/**
 * Replaces the config/exo.ts that `node ace configure adonis-exo` writes (scripts/test_v6.sh
 * checks that one first): the smoke test's resource, namespace and short timings. The Redis
 * is bull-queue's, in config/queue.ts.
 */
export default defineConfig({
  userModel: () => import('#models/user'),
  resources: [() => import('#models/order')],

  /**
   * Apart from the other suites' queues and keys on the same Redis; scripts/test_upgrade.sh
   * names one namespace (and queue) for the AdonisJS 6 app and the AdonisJS 7 app
   */
  namespace: env.get('EXO_NAMESPACE', 'exo-v6-smoke'),
  queue: env.get('EXO_QUEUE', 'exo-webhooks'),

  delivery: {
    timeout: '5s',
    // scripts/test_upgrade.sh waits longer for a retry: it is in Redis across the upgrade
    backoff: env.get('EXO_BACKOFF', '0s,1s,1s').split(','),
    autoDisableAfter: 20,
    // The smoke test's receiver listens on 127.0.0.1
    allowPrivateNetworks: env.get('EXO_ALLOW_PRIVATE_NETWORKS', false),
    requireHttps: false,
  },

  notifications: { from: env.get('EXO_MAIL_FROM') },
})
