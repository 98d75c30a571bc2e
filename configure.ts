import { join } from 'node:path'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises'
import type ConfigureCommand from '@adonisjs/core/commands/configure'
import { stubsRoot } from './stubs/main.js'

/**
 * Next to this file both in the sources and in the build
 */
const MIGRATIONS = new URL('./database/migrations/', import.meta.url)

type Dependency = {
  name: string
  version: string
  configFile: string
  configureFlags: string[]
  env?: Record<string, string>
}

/**
 * What Exo delivers and notifies through. An app has a dependency when its config file
 * exists: running the dependency's configure again would reset the app's env values.
 * AdonisJS 7 has no @rlanz/bull-queue: Exo reads its Redis from config/exo.ts there.
 */
function dependenciesFor(major: number): Dependency[] {
  if (major >= 7) {
    return [
      // Mail 10's configure writes valid SMTP values itself
      {
        name: '@adonisjs/mail',
        version: '^10.0.0',
        configFile: 'mail.ts',
        configureFlags: ['--transports=smtp'],
      },
    ]
  }
  return [
    { name: '@rlanz/bull-queue', version: '^3.1.0', configFile: 'queue.ts', configureFlags: [] },
    {
      name: '@adonisjs/mail',
      version: '^9.2.0',
      configFile: 'mail.ts',
      configureFlags: ['--transports=smtp'],
      // Mail's configure leaves them empty, which its own env validation refuses at boot
      env: { SMTP_HOST: 'localhost', SMTP_PORT: '587' },
    },
  ]
}

/** The major of the app's @adonisjs/core */
function coreMajor(command: ConfigureCommand): number {
  try {
    const pkg = createRequire(command.app.makePath('package.json'))('@adonisjs/core/package.json')
    return Number.parseInt(pkg.version, 10)
  } catch {
    return 6
  }
}

const ENV_VARIABLES = {
  EXO_QUEUE: 'exo-webhooks',
  EXO_MAIL_FROM: 'webhooks@example.com',
  EXO_ALLOW_PRIVATE_NETWORKS: 'false',
}

export async function configure(command: ConfigureCommand) {
  const major = coreMajor(command)
  for (const dependency of dependenciesFor(major)) {
    await setUpDependency(command, dependency)
  }

  /**
   * Created once the dependencies are set up: the code transformer reads adonisrc.ts and
   * start/env.ts when created, and would save over their changes
   */
  const codemods = await command.createCodemods()
  // Without bull-queue's config/queue.ts, config/exo.ts names the Redis itself
  const ownRedis = major >= 7 || !existsSync(command.app.configPath('queue.ts'))
  await codemods.makeUsingStub(stubsRoot, 'config/exo.stub', { ownRedis })
  await codemods.updateRcFile((rcFile) => {
    rcFile.addProvider('adonis-exo/exo_provider').addCommand('adonis-exo/commands')
  })

  const variables = ownRedis ? { ...ENV_VARIABLES, ...REDIS_ENV_VARIABLES } : ENV_VARIABLES
  const missingEnvVariables = await withoutDefinedEnvVariables(command, variables)
  if (Object.keys(missingEnvVariables).length) {
    await codemods.defineEnvVariables(missingEnvVariables)
  }
  await codemods.defineEnvValidations({
    leadingComment: 'Variables for configuring adonis-exo',
    variables: {
      EXO_QUEUE: 'Env.schema.string.optional()',
      EXO_MAIL_FROM: 'Env.schema.string.optional()',
      EXO_ALLOW_PRIVATE_NETWORKS: 'Env.schema.boolean.optional()',
      ...(ownRedis
        ? {
            EXO_REDIS_HOST: "Env.schema.string({ format: 'host' })",
            EXO_REDIS_PORT: 'Env.schema.number()',
            EXO_REDIS_PASSWORD: 'Env.schema.string.optional()',
          }
        : {}),
    },
  })

  await publishMigrations(command)
}

const REDIS_ENV_VARIABLES = {
  EXO_REDIS_HOST: '127.0.0.1',
  EXO_REDIS_PORT: '6379',
}

async function setUpDependency(command: ConfigureCommand, dependency: Dependency) {
  if (existsSync(command.app.configPath(dependency.configFile))) {
    return
  }

  if (!isInstalled(command, dependency.name)) {
    const codemods = await command.createCodemods()
    // AdonisJS 7's codemods return false on failure instead of throwing
    const installed = await codemods.installPackages([
      { name: `${dependency.name}@${dependency.version}`, isDevDependency: false },
    ])
    if ((installed as unknown) === false) {
      throw new Error(`Cannot install "${dependency.name}@${dependency.version}"`)
    }
  }

  const ace = await command.app.container.make('ace')
  const configured = await ace.exec('configure', [dependency.name, ...dependency.configureFlags])
  if (configured.exitCode !== 0) {
    throw new Error(`Cannot configure "${dependency.name}"`, { cause: configured.error })
  }

  if (dependency.env) {
    const codemods = await command.createCodemods()
    await codemods.defineEnvVariables(dependency.env)
  }
}

/**
 * Resolves the main entry, since neither dependency exports its package.json
 */
function isInstalled(command: ConfigureCommand, packageName: string) {
  try {
    createRequire(command.app.makePath('package.json')).resolve(packageName)
    return true
  } catch {
    return false
  }
}

/**
 * Keeps the values an app already set: defineEnvVariables overwrites them
 */
async function withoutDefinedEnvVariables(
  command: ConfigureCommand,
  variables: Record<string, string>
) {
  const envFile = command.app.makePath('.env')
  const contents = existsSync(envFile) ? await readFile(envFile, 'utf-8') : ''
  const lines = contents.split(/\r?\n/)

  return Object.fromEntries(
    Object.entries(variables).filter(([key]) => !lines.some((line) => line.startsWith(`${key}=`)))
  )
}

/**
 * Copies the package's migrations after the app's own ones, dropping their numeric
 * prefix for a timestamp. One already published, under any timestamp, is skipped.
 */
async function publishMigrations(command: ConfigureCommand) {
  const destination = command.app.migrationsPath()
  await mkdir(destination, { recursive: true })

  const published = await readdir(destination)
  const files = await readdir(MIGRATIONS)
  const migrations = files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')).sort()

  const timestamp = Date.now()
  for (const [index, file] of migrations.entries()) {
    const name = file.replace(/^\d+_/, '')
    if (published.some((existing) => existing.endsWith(`_${name}`))) {
      command.logger.action(`create database/migrations/${name}`).skipped('already published')
      continue
    }

    const target = join(destination, `${timestamp + index}_${name}`)
    await copyFile(new URL(file, MIGRATIONS), target)
    command.logger.action(`create ${command.app.relativePath(target)}`).succeeded()
  }
}
