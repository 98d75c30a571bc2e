import { readFile } from 'node:fs/promises'
import type { ApplicationService } from '@adonisjs/core/types'

/**
 * Where `npm run demo` (scripts/demo.sh) writes the environment its processes
 * run with, beyond tests/app/.env: its queue namespace, and whatever queue,
 * database, Redis, mail or failure policy it was given. Under tmp/, so git and
 * the test suite never see it. (This file starts with `_`: ace does not load
 * it as a command.)
 */
const SETTINGS_FILE = 'demo_settings.json'

/**
 * Boots and starts the app with the demo's settings, for the demo commands
 * run outside scripts/demo.sh (`demo:order` in another terminal, `demo:secrets`
 * run by the receiver), so they reach the demo's database and queues. Their
 * commands declare `startApp: false`: the environment is read when the app
 * boots, so the settings go into it first. A variable already set in the
 * environment wins, as it does over .env. Resolves with the settings file's
 * path, or null when no demo has written one.
 */
export async function startWithDemoSettings(app: ApplicationService) {
  const file = app.tmpPath(SETTINGS_FILE)
  const text = await readFile(file, 'utf8').catch(() => null)
  if (text !== null) {
    const { env } = JSON.parse(text) as { env: Record<string, string> }
    for (const [name, value] of Object.entries(env)) process.env[name] ??= value
  }
  await app.boot()
  await app.start(() => {})
  return text === null ? null : file
}
