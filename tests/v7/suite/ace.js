/**
 * Runs the app's ace commands with TypeScript sources, as AdonisJS 7's starter kits do
 */
import '@poppinss/ts-exec'

await import('./bin/console.js')
