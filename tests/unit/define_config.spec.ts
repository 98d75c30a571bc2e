import dns from 'node:dns'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { test } from '@japa/runner'
import { AppFactory } from '@adonisjs/core/factories/app'
import type { ApplicationService } from '@adonisjs/core/types'
import { defineConfig } from '../../src/define_config.js'
import type { HostLookup } from '../../src/delivery/destination_guard.js'
import type { BackoffStrategy } from '../../src/outcome/schedule.js'
import { ExoSigner, type Signer } from '../../src/delivery/signer.js'
import type { ExoConfig } from '../../src/types.js'

const BASE: ExoConfig = {
  userModel: async () => ({ default: {} as any }),
  resources: [],
}

async function resolve(config: ExoConfig) {
  const app = new AppFactory().create(new URL('../../tmp/', import.meta.url))
  return defineConfig(config).resolver(app as ApplicationService)
}

test.group('defineConfig', () => {
  test('applies the contract defaults, durations in milliseconds', async ({ assert }) => {
    const config = await resolve(BASE)
    assert.deepEqual(config.prefix, { api: '/exo-api', dashboard: '/exo' })
    assert.equal(config.queue, 'exo-webhooks')
    const { signer, lookup, ...delivery } = config.delivery
    assert.instanceOf(signer, ExoSigner)
    assert.strictEqual(lookup, dns.lookup)
    assert.deepEqual(delivery, {
      timeout: 30_000,
      backoff: [0, 30_000, 120_000, 600_000, 3_600_000],
      autoDisableAfter: 20,
      allowPrivateNetworks: false,
      requireHttps: false,
      proxy: null,
    })
    assert.equal(config.retention, 30 * 24 * 3600 * 1000)
    assert.isFalse(config.isAdmin({ isAdmin: true }))
  })

  test('accepts numbers of milliseconds and strings alike', async ({ assert }) => {
    const config = await resolve({
      ...BASE,
      delivery: { timeout: 5000, backoff: [0, '1s', 2500, '0ms'] },
      retention: '2d',
      prefix: { api: '/hooks-api/', dashboard: '/hooks' },
    })
    assert.equal(config.delivery.timeout, 5000)
    assert.deepEqual(config.delivery.backoff, [0, 1000, 2500, 0])
    assert.equal(config.retention, 2 * 24 * 3600 * 1000)
    assert.equal(config.prefix.api, '/hooks-api')
  })

  test('a signer and a backoff strategy of the app are kept as given', async ({ assert }) => {
    const signer: Signer = { sign: () => ({ 'X-Acme-Signature': 'sig' }) }
    const backoff: BackoffStrategy = { firstDelay: () => 0, nextDelay: () => null }
    const config = await resolve({ ...BASE, delivery: { signer, backoff } })
    assert.strictEqual(config.delivery.signer, signer)
    assert.strictEqual(config.delivery.backoff, backoff)

    class ExoAndAcme extends ExoSigner {}
    const subclass = new ExoAndAcme()
    const extended = await resolve({ ...BASE, delivery: { signer: subclass } })
    assert.strictEqual(extended.delivery.signer, subclass)
  })

  test('a lookup of the app is kept as given', async ({ assert }) => {
    const lookup: HostLookup = (_hostname, _options, callback) =>
      callback(null, [{ address: '203.0.113.10', family: 4 }])
    const config = await resolve({ ...BASE, delivery: { lookup } })
    assert.strictEqual(config.delivery.lookup, lookup)
  })

  test('a proxy URL is kept as given, credentials included; none by default', async ({
    assert,
  }) => {
    for (const proxy of ['http://proxy.internal:3128', 'http://egress:p%40ss@10.0.0.8:3128/']) {
      const config = await resolve({ ...BASE, delivery: { proxy } })
      assert.equal(config.delivery.proxy, proxy)
    }
    for (const none of [BASE, { ...BASE, delivery: { proxy: null } }]) {
      const config = await resolve(none)
      assert.isNull(config.delivery.proxy)
    }
  })

  test('the namespace is the app package name as a slug unless set', async ({ assert }) => {
    const root = new URL(`../../tmp/namespace-${process.pid}/`, import.meta.url)
    await mkdir(root, { recursive: true })
    const app = new AppFactory().create(root) as ApplicationService
    const namespace = async (config: ExoConfig) => {
      const resolved = await defineConfig(config).resolver(app)
      return resolved.namespace
    }

    assert.equal(await namespace(BASE), 'app', 'no package.json')
    await writeFile(new URL('package.json', root), JSON.stringify({ name: '@Acme/Shop_EU' }))
    assert.equal(await namespace(BASE), 'acme-shop_eu')
    assert.equal(await namespace({ ...BASE, namespace: 'staging' }), 'staging')
    await rm(root, { recursive: true })
  })

  const mistakes: [string, Partial<ExoConfig> & Record<string, unknown>][] = [
    ['userModel', { userModel: 'User' as any }],
    ['isAdmin', { isAdmin: true as any }],
    ['resources', { resources: {} as any }],
    ['resources.1', { resources: [async () => ({ default: {} as any }), 'Order' as any] }],
    ['queue', { queue: 'exo webhooks' }],
    ['namespace', { namespace: 'Shop' }],
    ['namespace', { namespace: 'shop.eu' }],
    ['namespace', { namespace: '' }],
    ['delivery.timeout', { delivery: { timeout: 'soon' } }],
    ['delivery.timeout', { delivery: { timeout: 0 } }],
    ['delivery.backoff.2', { delivery: { backoff: ['0s', '30s', 'later'] } }],
    ['delivery.backoff', { delivery: { backoff: [] } }],
    ['delivery.backoff', { delivery: { backoff: '30s' as any } }],
    ['delivery.backoff', { delivery: { backoff: { firstDelay: () => 0 } as any } }],
    ['delivery.backoff', { delivery: { backoff: class {} as any } }],
    ['delivery.signer', { delivery: { signer: 'hmac' as any } }],
    ['delivery.signer', { delivery: { signer: {} as any } }],
    ['delivery.signer', { delivery: { signer: ExoSigner as any } }],
    ['delivery.signer', { delivery: { signer: null as any } }],
    ['delivery.lookup', { delivery: { lookup: '10.0.0.53' as any } }],
    ['delivery.lookup', { delivery: { lookup: null as any } }],
    ['delivery.proxy', { delivery: { proxy: 'proxy.internal:3128' } }],
    ['delivery.proxy', { delivery: { proxy: 'socks5://proxy.internal:1080' } }],
    ['delivery.proxy', { delivery: { proxy: 'http://proxy.internal:3128/egress' } }],
    ['delivery.proxy', { delivery: { proxy: 'http://proxy.internal:3128?via=a' } }],
    ['delivery.proxy', { delivery: { proxy: '' } }],
    ['delivery.proxy', { delivery: { proxy: 3128 as any } }],
    ['delivery.autoDisableAfter', { delivery: { autoDisableAfter: 0 } }],
    ['delivery.autoDisableAfter', { delivery: { autoDisableAfter: 2.5 } }],
    ['retention', { retention: -1 }],
    ['prefix.api', { prefix: { api: 'exo-api' } }],
    ['prefix.dashboard', { prefix: { dashboard: '/exo dashboard' } }],
  ]
  for (const [key, mistake] of mistakes) {
    test('a wrong {key} fails with a message naming it')
      .with([{ key, mistake }])
      .run(({ assert }, row) => {
        assert.throws(
          () => defineConfig({ ...BASE, ...row.mistake } as ExoConfig),
          new RegExp(`Invalid exo config: "${row.key.replaceAll('.', '\\.')}"`)
        )
      })
  }
})
