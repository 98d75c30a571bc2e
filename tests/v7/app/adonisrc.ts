import { indexEntities } from '@adonisjs/core'
import { defineConfig } from '@adonisjs/core/app'

/**
 * The hypermedia starter kit's adonisrc.ts without Vite, static files and the tests
 * suites: `node ace configure adonis-exo` adds Exo's provider and commands (and mail's).
 */
export default defineConfig({
  experimental: {},

  /**
   * The app's own commands (order:create) are scanned from ./commands
   */
  commands: [
    () => import('@adonisjs/core/commands'),
    () => import('@adonisjs/lucid/commands'),
    () => import('@adonisjs/session/commands'),
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
  ],

  preloads: [() => import('#start/routes'), () => import('#start/kernel')],

  hooks: {
    init: [indexEntities()],
  },
})
