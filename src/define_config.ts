import dns from 'node:dns'
import { readFile } from 'node:fs/promises'
import { configProvider } from '@adonisjs/core'
import string from '@adonisjs/core/helpers/string'
import type { ConfigProvider } from '@adonisjs/core/types'
import type { BackoffStrategy } from './outcome/schedule.js'
import { ExoSigner, type Signer } from './delivery/signer.js'
import { E_INVALID_CONFIG } from './errors.js'
import type { Duration, ExoConfig, ResolvedExoConfig } from './types.js'

const DEFAULT_BACKOFF = ['0s', '30s', '2m', '10m', '1h']

export function toMilliseconds(key: string, value: Duration): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new E_INVALID_CONFIG([key, 'must be a positive number of milliseconds'])
    }
    return value
  }
  // The parser reads any zero ('0s', '0ms') as invalid
  if (typeof value === 'string' && /^\s*0+(\.0+)?\s*[a-z]*\s*$/i.test(value)) return 0
  try {
    return string.milliseconds.parse(value)
  } catch {
    throw new E_INVALID_CONFIG([key, `must be a duration such as "30s" or "2m", got "${value}"`])
  }
}

function assertFunction(key: string, value: unknown) {
  if (typeof value !== 'function') {
    throw new E_INVALID_CONFIG([key, 'must be a function'])
  }
}

/**
 * Whether `value` is an object (a class instance, not the class) with these methods.
 */
function hasMethods(value: unknown, methods: string[]): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    methods.every((method) => typeof (value as Record<string, unknown>)[method] === 'function')
  )
}

/**
 * `delivery.backoff`: the steps in milliseconds, or the app's own strategy as is.
 */
function resolveBackoff(backoff: Duration[] | BackoffStrategy): number[] | BackoffStrategy {
  if (Array.isArray(backoff)) {
    const steps = backoff.map((step, index) => toMilliseconds(`delivery.backoff.${index}`, step))
    if (steps.length === 0) {
      throw new E_INVALID_CONFIG(['delivery.backoff', 'must have at least one step'])
    }
    return steps
  }
  if (!hasMethods(backoff, ['firstDelay', 'nextDelay'])) {
    throw new E_INVALID_CONFIG([
      'delivery.backoff',
      'must be a list of durations, one per attempt, or a BackoffStrategy: an object with firstDelay() and nextDelay() methods',
    ])
  }
  return backoff
}

function resolveSigner(signer: Signer | undefined): Signer {
  if (signer === undefined) return new ExoSigner()
  if (!hasMethods(signer, ['sign'])) {
    throw new E_INVALID_CONFIG([
      'delivery.signer',
      'must be a Signer: an object with a sign(message, secrets) method, such as new ExoSigner()',
    ])
  }
  return signer
}

const NAMESPACE = /^[a-z0-9][a-z0-9_-]{0,63}$/

/**
 * The app's package name as a namespace (`@acme/shop` → `acme-shop`), or
 * `app` when it has none.
 */
export async function namespaceOf(appRoot: URL): Promise<string> {
  const text = await readFile(new URL('package.json', appRoot), 'utf8').catch(() => '{}')
  const name = (JSON.parse(text) as { name?: unknown }).name
  const slug = (typeof name === 'string' ? name : '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|-+$/g, '')
    .slice(0, 64)
  return slug || 'app'
}

function assertPath(key: string, value: string) {
  if (!/^\/[\w\-/]*$/.test(value) || value.length < 2) {
    throw new E_INVALID_CONFIG([key, `must be a URL path such as "/exo", got "${value}"`])
  }
  return value.replace(/\/+$/, '')
}

/**
 * `delivery.proxy`: an http(s) URL of a proxy's origin, credentials allowed.
 */
function resolveProxy(proxy: unknown): string | null {
  if (proxy === undefined || proxy === null) return null
  const url = typeof proxy === 'string' && URL.canParse(proxy) ? new URL(proxy) : null
  const origin = url && url.pathname === '/' && !url.search && !url.hash
  if (!origin || !['http:', 'https:'].includes(url.protocol)) {
    throw new E_INVALID_CONFIG([
      'delivery.proxy',
      'must be the URL of an HTTP proxy, such as "http://proxy.internal:3128" or "http://user:password@proxy.internal:3128", without a path',
    ])
  }
  return proxy as string
}

/**
 * Validates config/exo.ts when it is imported (so a mistake fails the boot with
 * the key named) and returns the resolved config lazily, as AdonisJS packages do.
 */
export function defineConfig(config: ExoConfig): ConfigProvider<ResolvedExoConfig> {
  if (!config || typeof config !== 'object') {
    throw new E_INVALID_CONFIG(['config', 'must be an object'])
  }
  assertFunction('userModel', config.userModel)
  if (config.isAdmin !== undefined) assertFunction('isAdmin', config.isAdmin)
  if (!Array.isArray(config.resources)) {
    throw new E_INVALID_CONFIG(['resources', 'must be an array of lazy imports'])
  }
  config.resources.forEach((resource, index) => assertFunction(`resources.${index}`, resource))

  const queue = config.queue ?? 'exo-webhooks'
  if (typeof queue !== 'string' || !/^[\w\-.]+$/.test(queue)) {
    throw new E_INVALID_CONFIG(['queue', 'must be a queue name made of letters, digits, - _ .'])
  }

  if (config.namespace !== undefined && !NAMESPACE.test(config.namespace)) {
    throw new E_INVALID_CONFIG([
      'namespace',
      'must be 1 to 64 lowercase letters, digits, - or _, starting with a letter or digit',
    ])
  }

  const delivery = config.delivery ?? {}
  const backoff = resolveBackoff(delivery.backoff ?? DEFAULT_BACKOFF)
  const signer = resolveSigner(delivery.signer)
  const autoDisableAfter = delivery.autoDisableAfter ?? 20
  if (!Number.isInteger(autoDisableAfter) || autoDisableAfter < 1) {
    throw new E_INVALID_CONFIG(['delivery.autoDisableAfter', 'must be a whole number above 0'])
  }
  if (delivery.lookup !== undefined) assertFunction('delivery.lookup', delivery.lookup)
  const timeout = toMilliseconds('delivery.timeout', delivery.timeout ?? '30s')
  if (timeout === 0) {
    throw new E_INVALID_CONFIG(['delivery.timeout', 'must be longer than 0'])
  }

  const resolved: Omit<ResolvedExoConfig, 'namespace'> = {
    userModel: config.userModel,
    isAdmin: config.isAdmin ?? (() => false),
    resources: config.resources as ResolvedExoConfig['resources'],
    prefix: {
      api: assertPath('prefix.api', config.prefix?.api ?? '/exo-api'),
      dashboard: assertPath('prefix.dashboard', config.prefix?.dashboard ?? '/exo'),
    },
    queue,
    redis: config.redis,
    worker: config.worker,
    delivery: {
      timeout,
      backoff,
      signer,
      autoDisableAfter,
      allowPrivateNetworks: delivery.allowPrivateNetworks === true,
      requireHttps: delivery.requireHttps === true,
      lookup: delivery.lookup ?? dns.lookup,
      proxy: resolveProxy(delivery.proxy),
    },
    retention: toMilliseconds('retention', config.retention ?? '30d'),
    notifications: { from: config.notifications?.from },
  }

  return configProvider.create(async (app) => ({
    ...resolved,
    namespace: config.namespace ?? (await namespaceOf(app.appRoot)),
  }))
}
