import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { createHmac } from 'node:crypto'
import dns from 'node:dns'
import { existsSync } from 'node:fs'
import { isIP } from 'node:net'
import { defineConfig, type BackoffStrategy, type HostLookup, type Signer } from 'adonis-exo'

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

/**
 * EXO_TEST_DELIVERY=custom swaps in a signer and a backoff of the app's own,
 * for the workers of tests/functional/custom_signer_backoff.spec.ts: one
 * `X-Acme-Signature` (HMAC of `<timestamp>.<body>`) in place of Exo's
 * signature headers, and three attempts, each retry at once.
 */
const custom = env.get('EXO_TEST_DELIVERY') === 'custom'

const acmeSigner: Signer = {
  sign({ timestamp, body }, [secret]) {
    const hmac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
    return { 'X-Acme-Signature': `t=${timestamp},v1=${hmac}` }
  },
}

const immediateRetries: BackoffStrategy = {
  firstDelay: () => 0,
  nextDelay: (attempt) => (attempt < 3 ? 0 : null),
}

/**
 * EXO_TEST_HOSTS (JSON, `{ "name": "address" }`) names hosts this app
 * resolves itself, as split-horizon DNS would, every other name going to the
 * system resolver: the SSRF tests point names at private addresses in the
 * test process and in its workers alike (tests/helpers/test_hosts.ts).
 */
const testHosts = new Map<string, string>(
  Object.entries(JSON.parse(env.get('EXO_TEST_HOSTS', '{}')))
)

const lookup: HostLookup = (hostname, options, callback) => {
  const address = testHosts.get(hostname.toLowerCase())
  if (!address) return dns.lookup(hostname, options, callback)
  callback(null, [{ address, family: isIP(address) }])
}

/**
 * With bull-queue (AdonisJS 6), Exo takes the Redis and the worker settings of its
 * config/queue.ts; without it (AdonisJS 7: tests/v7/suite), the same are named here.
 */
const bullQueue = existsSync(new URL('./queue.ts', import.meta.url))
const queueSettings = bullQueue
  ? {}
  : {
      redis: {
        host: env.get('QUEUE_REDIS_HOST'),
        port: env.get('QUEUE_REDIS_PORT'),
        password: env.get('QUEUE_REDIS_PASSWORD'),
      },
      worker: {
        concurrency: env.get('QUEUE_CONCURRENCY', 20),
        lockDuration: env.get('QUEUE_LOCK_DURATION', 30_000),
        stalledInterval: env.get('QUEUE_STALLED_INTERVAL', 30_000),
      },
    }

export default defineConfig({
  userModel: () => import('#models/user'),
  isAdmin: (user) => user.isAdmin === true,
  resources: [() => import('#models/order'), () => import('#models/note')],
  prefix: { api: '/exo-api', dashboard: '/exo' },
  namespace: env.get('EXO_NAMESPACE'),
  queue: env.get('EXO_QUEUE', 'exo-webhooks'),
  ...queueSettings,
  delivery: {
    timeout: env.get('EXO_DELIVERY_TIMEOUT', '30s'),
    backoff: custom
      ? immediateRetries
      : backoff.length > 0
        ? backoff
        : ['0s', '30s', '2m', '10m', '1h'],
    signer: custom ? acmeSigner : undefined,
    autoDisableAfter: env.get('EXO_AUTO_DISABLE_AFTER', 20),
    allowPrivateNetworks: env.get('EXO_ALLOW_PRIVATE_NETWORKS', false),
    requireHttps: app.inProduction,
    lookup,
    // An HTTP proxy of the test's own (tests/functional/delivery_proxy.spec.ts)
    proxy: env.get('EXO_DELIVERY_PROXY'),
  },
  retention: '30d',
  notifications: { from: env.get('EXO_MAIL_FROM') },
})
