import app from '@adonisjs/core/services/app'
import type { Exo } from '../src/exo.js'

let exo: Exo

/**
 * The app's Exo manager, once the app has booted.
 */
await app.booted(async () => {
  exo = await app.container.make('exo.manager')
})

export { exo as default }
