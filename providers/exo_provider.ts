import { configProvider } from '@adonisjs/core'
import { RuntimeException } from '@adonisjs/core/exceptions'
import type { BaseCommand } from '@adonisjs/core/ace'
import type { ApplicationService } from '@adonisjs/core/types'
import type { Exo } from '../src/exo.js'
import type { ResolvedExoConfig } from '../src/types.js'

declare module '@adonisjs/core/types' {
  interface ContainerBindings {
    'exo.manager': Exo
  }
}

export default class ExoProvider {
  #exo?: Exo

  constructor(protected app: ApplicationService) {}

  register() {
    this.app.container.singleton('exo.manager', async () => {
      const { Exo } = await import('../src/exo.js')
      const config = await configProvider.resolve<ResolvedExoConfig>(
        this.app,
        this.app.config.get('exo')
      )
      if (!config) {
        throw new RuntimeException(
          'Invalid "config/exo.ts" file. Make sure you are using the "defineConfig" method'
        )
      }
      this.#exo = await Exo.create(this.app, config)
      return this.#exo
    })
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
      const exo = await this.app.container.make('exo.manager')
      exo.sweeper.start(exo.config.queue, 15_000)
    })
  }

  async shutdown() {
    await this.#exo?.close()
  }
}
