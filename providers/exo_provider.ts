import { configProvider } from '@adonisjs/core'
import { RuntimeException } from '@adonisjs/core/exceptions'
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

  async shutdown() {
    await this.#exo?.close()
  }
}
