import { defineConfig } from '@adonisjs/core/app'

export default defineConfig({
  commands: [
    () => import('@adonisjs/core/commands'),
    () => import('@adonisjs/lucid/commands'),
    () => import('@rlanz/bull-queue/commands'),
    () => import('adonis-exo/commands'),
  ],
  providers: [
    () => import('@adonisjs/core/providers/app_provider'),
    () => import('@adonisjs/core/providers/hash_provider'),
    {
      file: () => import('@adonisjs/core/providers/repl_provider'),
      environment: ['repl', 'test'],
    },
    () => import('@adonisjs/core/providers/vinejs_provider'),
    () => import('@adonisjs/core/providers/edge_provider'),
    () => import('@adonisjs/session/session_provider'),
    () => import('@adonisjs/shield/shield_provider'),
    () => import('@adonisjs/lucid/database_provider'),
    () => import('@adonisjs/auth/auth_provider'),
    () => import('@adonisjs/mail/mail_provider'),
    () => import('@rlanz/bull-queue/queue_provider'),
    () => import('adonis-exo/exo_provider'),
  ],
  preloads: [
    () => import('#start/routes'),
    () => import('#start/kernel'),
    () => import('#start/events'),
  ],
  tests: {
    suites: [
      {
        files: ['tests/functional/**/*.spec.ts'],
        name: 'functional',
        timeout: 60000,
      },
      {
        files: ['tests/browser/**/*.spec.ts'],
        name: 'browser',
        timeout: 60000,
      },
      {
        files: ['tests/reliability/**/*.spec.ts'],
        name: 'reliability',
        timeout: 25 * 60_000,
      },
      {
        files: ['tests/security/**/*.spec.ts'],
        name: 'security',
        timeout: 120_000,
      },
    ],
    forceExit: false,
  },
  metaFiles: [{ pattern: 'resources/views/**/*.edge', reloadServer: false }],
})
