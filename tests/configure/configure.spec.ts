import { test } from '@japa/runner'
import { join } from 'node:path'
import { readdir } from 'node:fs/promises'
import type { FileSystem } from '@japa/file-system'
import { IgnitorFactory } from '@adonisjs/core/factories'
import Configure from '@adonisjs/core/commands/configure'

const PACKAGE_MIGRATIONS = new URL('../../database/migrations/', import.meta.url)

/**
 * Relative to the app root: the configure hook itself, and the package main where
 * "node ace configure adonis-exo" looks for it
 */
const CONFIGURE_HOOK = '../../configure.js'
const PACKAGE_MAIN = '../../index.js'

const AUTH_CONFIG = `import { defineConfig } from '@adonisjs/auth'
import { sessionGuard, sessionUserProvider } from '@adonisjs/auth/session'

const authConfig = defineConfig({
  default: 'web',
  guards: {
    web: sessionGuard({
      useRememberMeTokens: false,
      provider: sessionUserProvider({ model: () => import('#models/user') }),
    }),
  },
})

export default authConfig
`

const QUEUE_CONFIG = `import env from '#start/env'
import { defineConfig } from '@rlanz/bull-queue'

export default defineConfig({
  defaultConnection: { host: env.get('QUEUE_REDIS_HOST'), port: env.get('QUEUE_REDIS_PORT') },
  queue: {},
  worker: {},
  jobs: { attempts: 7 },
})
`

const MAIL_CONFIG = `import env from '#start/env'
import { defineConfig, transports } from '@adonisjs/mail'

export default defineConfig({
  default: 'smtp',
  mailers: { smtp: transports.smtp({ host: env.get('SMTP_HOST'), port: env.get('SMTP_PORT') }) },
})
`

/**
 * The files of a new app made from the AdonisJS 6 web starter kit that matter to configure
 */
async function createStarterApp(fs: FileSystem, options: { withQueueAndMail?: boolean } = {}) {
  const extraProviders = options.withQueueAndMail
    ? `
    () => import('@rlanz/bull-queue/queue_provider'),
    () => import('@adonisjs/mail/mail_provider'),`
    : ''
  const extraEnv = options.withQueueAndMail
    ? ['QUEUE_REDIS_HOST=redis.internal', 'QUEUE_REDIS_PORT=6380', 'SMTP_HOST=smtp.acme.test']
    : []

  await fs.createJson('package.json', {
    name: 'starter',
    private: true,
    type: 'module',
    imports: {
      '#models/*': './app/models/*.js',
      '#config/*': './config/*.js',
      '#start/*': './start/*.js',
    },
    dependencies: { '@adonisjs/core': '^6.21.0', '@adonisjs/lucid': '^21.8.2' },
  })
  await fs.createJson('tsconfig.json', {
    extends: '@adonisjs/tsconfig/tsconfig.app.json',
    compilerOptions: { rootDir: './', outDir: './build' },
  })
  await fs.create(
    'adonisrc.ts',
    `import { defineConfig } from '@adonisjs/core/app'

export default defineConfig({
  commands: [() => import('@adonisjs/core/commands'), () => import('@adonisjs/lucid/commands')],
  providers: [
    () => import('@adonisjs/core/providers/app_provider'),
    () => import('@adonisjs/core/providers/hash_provider'),
    () => import('@adonisjs/session/session_provider'),
    () => import('@adonisjs/shield/shield_provider'),
    () => import('@adonisjs/lucid/database_provider'),
    () => import('@adonisjs/auth/auth_provider'),${extraProviders}
  ],
  preloads: [() => import('#start/routes'), () => import('#start/kernel')],
})
`
  )
  await fs.create(
    'start/env.ts',
    `import { Env } from '@adonisjs/core/env'

export default await Env.create(new URL('../', import.meta.url), {
  NODE_ENV: Env.schema.enum(['development', 'production', 'test'] as const),
  PORT: Env.schema.number(),
  APP_KEY: Env.schema.string(),
  HOST: Env.schema.string({ format: 'host' }),
  LOG_LEVEL: Env.schema.string(),
  SESSION_DRIVER: Env.schema.enum(['cookie', 'memory'] as const),
  DB_CONNECTION: Env.schema.string(),
})
`
  )
  await fs.create(
    'start/kernel.ts',
    `import router from '@adonisjs/core/services/router'
import server from '@adonisjs/core/services/server'

server.use([() => import('@adonisjs/static/static_middleware')])
router.use([() => import('@adonisjs/core/bodyparser_middleware')])
`
  )
  const env = ['TZ=UTC', 'PORT=3333', 'HOST=localhost', 'NODE_ENV=development', ...extraEnv]
  await fs.create(
    '.env',
    [...env, 'APP_KEY=a-secret-app-key', 'SESSION_DRIVER=cookie', ''].join('\n')
  )
  await fs.create('.env.example', [...env, 'APP_KEY=', 'SESSION_DRIVER=cookie', ''].join('\n'))
  await fs.create('config/auth.ts', AUTH_CONFIG)
  await fs.create(
    'database/migrations/1700000000000_create_users_table.ts',
    `import { BaseSchema } from '@adonisjs/lucid/schema'\n`
  )
  if (options.withQueueAndMail) {
    await fs.create('config/queue.ts', QUEUE_CONFIG)
    await fs.create('config/mail.ts', MAIL_CONFIG)
  }
}

/**
 * Runs "node ace configure adonis-exo" against the app in fs.basePath, failing on any prompt
 */
async function runConfigure(fs: FileSystem, args: string[] = [CONFIGURE_HOOK]) {
  const ignitor = new IgnitorFactory()
    .withCoreProviders()
    .withCoreConfig()
    // configure runs the configure hooks of bull-queue and mail through the ace kernel
    .merge({ rcFileContents: { commands: [() => import('@adonisjs/core/commands')] } })
    .create(fs.baseUrl, {
      importer: (filePath) => {
        if (filePath.startsWith('./') || filePath.startsWith('../')) {
          return import(new URL(filePath, fs.baseUrl).href)
        }
        return import(filePath)
      },
    })

  const app = ignitor.createApp('console')
  await app.init()
  await app.boot()

  const ace = await app.container.make('ace')
  ace.ui.switchMode('raw')
  Object.assign(ace.prompt, {
    prompt: async ({ message }: { message: string }) => {
      throw new Error(`Unexpected prompt "${message}"`)
    },
  })

  const command = await ace.create(Configure, args)
  await command.exec()
  command.assertSucceeded()
  return command
}

async function packageMigrations() {
  const files = await readdir(PACKAGE_MIGRATIONS)
  return files.filter((file) => file.endsWith('.ts')).map((file) => file.replace(/^\d+_/, ''))
}

async function snapshot(fs: FileSystem) {
  const files = await fs.readDir()
  const entries = await Promise.all(
    files.map(async (file) => [file.path, await fs.contents(file.path)] as const)
  )
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)))
}

function count(contents: string, substring: string) {
  return contents.split(substring).length - 1
}

test.group('Configure', (group) => {
  group.each.timeout(0)

  test('registers the provider and the commands in adonisrc.ts', async ({ assert, fs }) => {
    await createStarterApp(fs)
    await runConfigure(fs)

    const rcFile = await fs.contents('adonisrc.ts')
    assert.equal(count(rcFile, `() => import('adonis-exo/exo_provider')`), 1)
    assert.equal(count(rcFile, `() => import('adonis-exo/commands')`), 1)
    assert.include(rcFile, `() => import('@adonisjs/auth/auth_provider')`)
  })

  test('is found in the package main', async ({ assert, fs }) => {
    await createStarterApp(fs)
    await runConfigure(fs, [PACKAGE_MAIN])

    await assert.fileContains('adonisrc.ts', `() => import('adonis-exo/exo_provider')`)
    await assert.fileExists('config/exo.ts')
  })

  test('writes config/exo.ts', async ({ assert, fs }) => {
    await createStarterApp(fs)
    await runConfigure(fs)

    await assert.fileContains('config/exo.ts', [
      `import env from '#start/env'`,
      `import app from '@adonisjs/core/services/app'`,
      `import { defineConfig } from 'adonis-exo'`,
      `export default defineConfig({`,
      `userModel: () => import('#models/user'),`,
      `// isAdmin: (user) => user.isAdmin === true,`,
      `() => import('#models/order')`,
      `resources: [],`,
      `prefix: { api: '/exo-api', dashboard: '/exo' },`,
      `queue: env.get('EXO_QUEUE', 'exo-webhooks'),`,
      `timeout: '30s',`,
      `backoff: ['0s', '30s', '2m', '10m', '1h'],`,
      `autoDisableAfter: 20,`,
      `allowPrivateNetworks: env.get('EXO_ALLOW_PRIVATE_NETWORKS', false),`,
      `requireHttps: app.inProduction,`,
      `retention: '30d',`,
      `notifications: { from: env.get('EXO_MAIL_FROM') },`,
    ])
  })

  test('keeps an existing config/exo.ts', async ({ assert, fs }) => {
    await createStarterApp(fs)
    await fs.create('config/exo.ts', 'export default {}\n')
    await runConfigure(fs)

    await assert.fileEquals('config/exo.ts', 'export default {}\n')
  })

  test('publishes each package migration once, after the app migrations', async ({
    assert,
    fs,
  }) => {
    const expected = await packageMigrations()
    assert.isNotEmpty(expected)

    await createStarterApp(fs)
    const before = Date.now()
    await runConfigure(fs)

    const published = await readdir(join(fs.basePath, 'database/migrations'))
    assert.include(published, '1700000000000_create_users_table.ts')
    assert.lengthOf(published, expected.length + 1)

    for (const name of expected) {
      const copies = published.filter((file) => file.endsWith(`_${name}`))
      assert.lengthOf(copies, 1, `${name} published once`)
      assert.isAtLeast(Number(copies[0].split('_')[0]), before)
    }
  })

  test('skips a migration already published under another timestamp', async ({ assert, fs }) => {
    const [first, ...others] = await packageMigrations()
    await createStarterApp(fs)
    await fs.create(`database/migrations/1710000000000_${first}`, '// published before\n')
    await runConfigure(fs)

    const published = await readdir(join(fs.basePath, 'database/migrations'))
    assert.deepEqual(
      published.filter((file) => file.endsWith(`_${first}`)),
      [`1710000000000_${first}`]
    )
    await assert.fileEquals(`database/migrations/1710000000000_${first}`, '// published before\n')
    assert.lengthOf(published, others.length + 2)
  })

  test('adds the env variables and their validations', async ({ assert, fs }) => {
    await createStarterApp(fs)
    await runConfigure(fs)

    for (const file of ['.env', '.env.example']) {
      await assert.fileContains(file, [
        'EXO_QUEUE=exo-webhooks',
        'EXO_MAIL_FROM=webhooks@example.com',
        'EXO_ALLOW_PRIVATE_NETWORKS=false',
      ])
    }
    await assert.fileContains('.env', 'APP_KEY=a-secret-app-key')
    await assert.fileContains('start/env.ts', [
      'EXO_QUEUE: Env.schema.string.optional()',
      'EXO_MAIL_FROM: Env.schema.string.optional()',
      'EXO_ALLOW_PRIVATE_NETWORKS: Env.schema.boolean.optional()',
      `NODE_ENV: Env.schema.enum(['development', 'production', 'test'] as const)`,
    ])
  })

  test('keeps env values the app already set', async ({ assert, fs }) => {
    await createStarterApp(fs)
    await fs.create('.env', 'EXO_QUEUE=critical-hooks\nAPP_KEY=a-secret-app-key\n')
    await runConfigure(fs)

    const env = await fs.contents('.env')
    assert.equal(count(env, 'EXO_QUEUE='), 1)
    assert.include(env, 'EXO_QUEUE=critical-hooks')
    assert.include(env, 'EXO_MAIL_FROM=webhooks@example.com')
  })

  test('configures bull-queue and mail when the app lacks them', async ({ assert, fs }) => {
    await createStarterApp(fs)
    const packageJson = await fs.contents('package.json')
    await runConfigure(fs)

    await assert.fileContains('config/queue.ts', `from '@rlanz/bull-queue'`)
    await assert.fileContains('config/mail.ts', [
      `from '@adonisjs/mail'`,
      `smtp: transports.smtp({`,
      `host: env.get('SMTP_HOST')`,
    ])
    await assert.fileContains('adonisrc.ts', [
      `() => import('@rlanz/bull-queue/queue_provider')`,
      `() => import('@rlanz/bull-queue/commands')`,
      `() => import('@adonisjs/mail/mail_provider')`,
      `() => import('@adonisjs/mail/commands')`,
    ])
    for (const file of ['.env', '.env.example']) {
      await assert.fileContains(file, [
        'QUEUE_REDIS_HOST=127.0.0.1',
        'QUEUE_REDIS_PORT=6379',
        'SMTP_HOST=localhost',
        'SMTP_PORT=587',
      ])
    }
    await assert.fileContains('start/env.ts', [
      `QUEUE_REDIS_HOST: Env.schema.string({ format: 'host' })`,
      'SMTP_HOST: Env.schema.string()',
    ])
    await assert.fileEquals('package.json', packageJson)
  })

  test('leaves an app that already has bull-queue and mail alone', async ({ assert, fs }) => {
    await createStarterApp(fs, { withQueueAndMail: true })
    await runConfigure(fs)

    await assert.fileEquals('config/queue.ts', QUEUE_CONFIG)
    await assert.fileEquals('config/mail.ts', MAIL_CONFIG)

    const rcFile = await fs.contents('adonisrc.ts')
    assert.equal(count(rcFile, `() => import('@rlanz/bull-queue/queue_provider')`), 1)
    assert.equal(count(rcFile, `() => import('@adonisjs/mail/mail_provider')`), 1)
    assert.notInclude(rcFile, `@rlanz/bull-queue/commands`)

    const env = await fs.contents('.env')
    assert.include(env, 'QUEUE_REDIS_HOST=redis.internal')
    assert.include(env, 'SMTP_HOST=smtp.acme.test')
    assert.notInclude(env, 'SMTP_PORT=')
    assert.notInclude(await fs.contents('start/env.ts'), 'SMTP_HOST')
  })

  test('never touches config/auth.ts', async ({ fs, assert }) => {
    await createStarterApp(fs)
    await runConfigure(fs)

    await assert.fileEquals('config/auth.ts', AUTH_CONFIG)
  })

  test('a second run changes nothing', async ({ assert, fs }) => {
    await createStarterApp(fs)
    await runConfigure(fs)
    const afterFirstRun = await snapshot(fs)

    await runConfigure(fs)
    assert.deepEqual(await snapshot(fs), afterFirstRun)
  })

  test('a second run with --force changes nothing but config/exo.ts', async ({ assert, fs }) => {
    await createStarterApp(fs)
    await runConfigure(fs)
    await fs.create('config/exo.ts', 'export default {}\n')
    const afterFirstRun = await snapshot(fs)

    await runConfigure(fs, [CONFIGURE_HOOK, '--force'])
    const afterSecondRun = await snapshot(fs)
    assert.include(afterSecondRun['config/exo.ts'], `import { defineConfig } from 'adonis-exo'`)
    assert.deepEqual(
      { ...afterSecondRun, 'config/exo.ts': '' },
      { ...afterFirstRun, 'config/exo.ts': '' }
    )
  })
})
