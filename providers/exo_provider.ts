import { configProvider } from '@adonisjs/core'
import { RuntimeException } from '@adonisjs/core/exceptions'
import type { BaseCommand } from '@adonisjs/core/ace'
import type { Router } from '@adonisjs/core/http'
import type { ApplicationService } from '@adonisjs/core/types'
import type { Exo } from '../src/exo.js'
import type { Framework } from '../src/framework/framework.js'
import type { ResolvedExoConfig } from '../src/types.js'

declare module '@adonisjs/core/types' {
  interface ContainerBindings {
    'exo.manager': Exo
  }
}

export default class ExoProvider {
  #exo?: Exo
  #framework?: Promise<Framework>
  /** Whether this process is bull-queue's `queue:listen` */
  #listening = false

  constructor(protected app: ApplicationService) {}

  /** What the routes' actions are given to reach Exo: resolved on the first request */
  #exoManager = () => this.app.container.make('exo.manager')

  /**
   * The pieces of AdonisJS that changed between majors, as this app's major
   * provides them; model columns read them too.
   */
  #frameworkPieces() {
    this.#framework ??= (async () => {
      const { useFramework } = await import('../src/framework/framework.js')
      const { frameworkFor } = await import('../src/framework/for_app.js')
      const framework = await frameworkFor(this.app)
      useFramework(framework)
      return framework
    })()
    return this.#framework
  }

  async #config() {
    const config = await configProvider.resolve<ResolvedExoConfig>(
      this.app,
      this.app.config.get('exo')
    )
    if (!config) {
      throw new RuntimeException(
        'Invalid "config/exo.ts" file. Make sure you are using the "defineConfig" method'
      )
    }
    return config
  }

  register() {
    this.app.container.singleton('exo.manager', async () => {
      const { Exo } = await import('../src/exo.js')
      this.#exo = await Exo.create(this.app, await this.#config(), await this.#frameworkPieces())
      return this.#exo
    })
    // Before the providers shut down, while the database is still open
    this.app.terminating(async () => {
      await this.#exo?.stopWorkers()
      await this.#exo?.recorder.close()
    })
  }

  async boot() {
    const config = await this.#config()
    const framework = await this.#frameworkPieces()
    const router = await this.app.container.make('router')
    const { registerApiRoutes } = await import('../src/http/api/routes.js')
    const { jsonBodyMiddleware } = await import('../src/http/api/json_body_middleware.js')
    registerApiRoutes(router, config.prefix.api, this.#exoManager)
    framework.exemptFromCsrf(config.prefix.api)
    framework.answerBadUrlsInJson(config.prefix.api)
    await this.#registerDashboard(router, config.prefix.dashboard, framework)

    // Registered before the host's start/kernel.ts adds its own, so it runs first
    const server = await this.app.container.make('server')
    const JsonBody = jsonBodyMiddleware(config.prefix.api)
    server.use([async () => ({ default: JsonBody })])
  }

  /**
   * The dashboard's routes, its templates (the package's, or the host's
   * copies under resources/views/vendor/exo) and its assets.
   */
  async #registerDashboard(router: Router, prefix: string, framework: Framework) {
    const { default: edge } = await import('edge.js')
    const { DashboardViews } = await import('../src/http/dashboard/views.js')
    const { DashboardAssets } = await import('../src/http/dashboard/assets.js')
    const { Dashboard } = await import('../src/http/dashboard/dashboard.js')
    const { registerDashboardRoutes } = await import('../src/http/dashboard/routes.js')
    const views = new DashboardViews(
      edge,
      new URL('../resources/views/exo/', import.meta.url),
      this.app.viewsPath('vendor/exo')
    )
    const assets = new DashboardAssets(
      new URL('../resources/assets/', import.meta.url),
      `${prefix}/assets`
    )
    registerDashboardRoutes(
      router,
      new Dashboard(prefix, views, assets, framework.flash),
      this.#exoManager
    )
  }

  /**
   * Workers (`queue:listen`) also sweep the outbox, so events recorded while
   * Redis was away get delivered without any other process to run.
   */
  async ready() {
    if (this.app.getEnvironment() !== 'console') return
    const ace = await this.app.container.make('ace')
    ace.executing(async (command) => {
      if ((command.constructor as typeof BaseCommand).commandName !== 'queue:listen') return
      this.#listening = true
      const exo = await this.app.container.make('exo.manager')
      exo.sweeper.start(exo.config.queue, 15_000)
    })
  }

  async shutdown() {
    await this.#exo?.close()
    // bull-queue closes its queues but not its workers, and a worker that never ran an
    // Exo job (so Exo could not close it) keeps its Redis connection, and the process,
    // open for good: with the app terminated, nothing of Exo's is under way any more
    if (this.#listening) setTimeout(() => process.exit(), 2000).unref()
  }
}
