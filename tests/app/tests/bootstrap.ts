import { mkdir } from 'node:fs/promises'
import { assert } from '@japa/assert'
import { apiClient } from '@japa/api-client'
import app from '@adonisjs/core/services/app'
import type { Config } from '@japa/runner/types'
import { pluginAdonisJS } from '@japa/plugin-adonisjs'
import testUtils from '@adonisjs/core/services/test_utils'
import { startWorker, stopWorkers } from '#tests/helpers/worker'
import { closeBrowser } from '#tests/helpers/browser'

export const plugins: Config['plugins'] = [assert(), apiClient(), pluginAdonisJS(app)]

/**
 * A fresh schema, and a real bull-queue worker (`node ace queue:listen`) in
 * its own process for the whole run.
 */
export const runnerHooks: Required<Pick<Config, 'setup' | 'teardown'>> = {
  setup: [
    async () => {
      await mkdir(app.tmpPath(), { recursive: true })
      const ace = await app.container.make('ace')
      await ace.exec('migration:fresh', ['--force'])
      await startWorker()
      return () => stopWorkers()
    },
  ],
  teardown: [],
}

export const configureSuite: Config['configureSuite'] = (suite) => {
  if (['browser', 'security'].includes(suite.name)) suite.teardown(() => closeBrowser())
  if (['browser', 'functional', 'security', 'reliability'].includes(suite.name)) {
    return suite.setup(() => testUtils.httpServer().start())
  }
}
