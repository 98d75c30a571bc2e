/**
 * Runs the app's ace commands with TypeScript sources, as the AdonisJS starter kits do.
 */
import 'ts-node-maintained/register/esm'
await import('./bin/console.ts')
