import env from '#start/env'
import { defineConfig } from 'adonis-exo'

/**
 * Replaces the config/exo.ts that `node ace configure adonis-exo` writes (scripts/test_v7.sh
 * checks that one first): the smoke test's resource, namespace and short timings.
 */
export default defineConfig({
  userModel: () => import('#models/user'),
  resources: [() => import('#models/order')],

  /**
   * Apart from the other suites' queues and keys on the same Redis; scripts/test_upgrade.sh
   * names one namespace (and queue) for the AdonisJS 6 app and the AdonisJS 7 app
   */
  namespace: env.get('EXO_NAMESPACE', 'exo-v7-smoke'),
  queue: env.get('EXO_QUEUE', 'exo-webhooks'),

  /**
   * On AdonisJS 7 there is no bull-queue config/queue.ts: the Redis is named here
   */
  redis: {
    host: env.get('EXO_REDIS_HOST'),
    port: env.get('EXO_REDIS_PORT'),
    password: env.get('EXO_REDIS_PASSWORD'),
  },

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
