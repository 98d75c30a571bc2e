import { configProvider } from '@adonisjs/core'
import type { ApplicationService } from '@adonisjs/core/types'
import { sha256 } from './adonis6.js'
import { answerBadApiUrlsInJson } from './bad_url.js'
import { exemptFromCsrf } from './csrf_exemption.js'
import type { Framework, SecretsCipher } from './framework.js'
import { sessionFlash } from './session_flash.js'

/** What the package uses of an encryptor of `@boringnode/encryption` */
export interface Encryptor {
  encrypt(value: unknown): string
  decrypt(value: string): unknown
}

/**
 * AdonisJS 7's `encryption` binding: an `EncryptionManager` of
 * `@boringnode/encryption`, configured by config/encryption.ts. Typed here
 * by what the package uses, since the package builds against AdonisJS 6.
 */
export interface EncryptionManager extends Encryptor {
  use(name?: string): Encryptor
  getMessageVerifier(): { sign(payload: unknown): string }
}

interface EncryptionConfig {
  default: string
  list: Record<string, { keys?: unknown[]; key?: unknown }>
}

/**
 * Secrets encrypted with the app's default encryptor; those stored under
 * AdonisJS 6, which only the `legacy` driver reads, still decrypt through
 * `legacy`. The fingerprint signs as AdonisJS 6 did with the same APP_KEY,
 * so an app keeps its identity across the upgrade.
 */
export function managerSecrets(manager: EncryptionManager, legacy: Encryptor): SecretsCipher {
  return {
    encrypt: (value) => manager.encrypt(value),
    decrypt: (value) => manager.decrypt(value) ?? legacy.decrypt(value),
    fingerprint: (purpose) => sha256(manager.getMessageVerifier().sign(purpose)),
  }
}

/**
 * The app's `legacy` encryptor when config/encryption.ts has one, else one
 * of the `legacy` driver with the keys of the default encryptor: the
 * APP_KEY that encrypted under AdonisJS 6.
 */
async function legacyEncryptor(app: ApplicationService, manager: EncryptionManager) {
  const config = await configProvider.resolve<EncryptionConfig>(app, app.config.get('encryption'))
  if (config?.list.legacy) return manager.use('legacy')

  const defaults = config ? config.list[config.default] : undefined
  const keys = defaults?.keys ?? (defaults?.key ? [defaults.key] : [])
  // Only AdonisJS 7's core has these: the import is not reached on AdonisJS 6
  const { Encryption, drivers } = (await import('@adonisjs/core/encryption')) as any
  return new Encryption(await configProvider.resolve(app, drivers.legacy({ keys }))) as Encryptor
}

/**
 * The framework pieces of AdonisJS 7: its `EncryptionManager`, session 8's
 * flash messages, shield 9's CSRF exceptions (the last two as in
 * AdonisJS 6), and its server's answer to URLs it cannot decode.
 */
export async function adonis7(
  app: ApplicationService,
  manager: EncryptionManager
): Promise<Framework> {
  return {
    secrets: managerSecrets(manager, await legacyEncryptor(app, manager)),
    flash: sessionFlash,
    exemptFromCsrf: (prefix) => exemptFromCsrf(app, prefix),
    answerBadUrlsInJson: (prefix) => answerBadApiUrlsInJson(app, prefix),
  }
}
