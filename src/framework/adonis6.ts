import { createHash } from 'node:crypto'
import type { Encryption } from '@adonisjs/core/encryption'
import type { ApplicationService } from '@adonisjs/core/types'
import type { AllowedSessionValues } from '@adonisjs/session/types'
import { exemptFromCsrf } from './csrf_exemption.js'
import type { Framework, SecretsCipher } from './framework.js'

/**
 * Secrets encrypted with an `Encryption` of `@adonisjs/encryption` (the
 * APP_KEY of AdonisJS 6's config/app.ts).
 */
export function encryptionSecrets(encryption: Encryption): SecretsCipher {
  return {
    encrypt: (value) => encryption.encrypt(value),
    decrypt: (value) => encryption.decrypt(value),
    fingerprint: (purpose) =>
      createHash('sha256').update(encryption.verifier.sign(purpose)).digest('hex'),
  }
}

/**
 * The framework pieces of AdonisJS 6: the `encryption` service, session 7's
 * flash messages, shield 8's CSRF exceptions.
 */
export async function adonis6(app: ApplicationService): Promise<Framework> {
  return {
    secrets: encryptionSecrets(await app.container.make('encryption')),
    flash: {
      set: (ctx, key, value) => ctx.session.flash(key, value as AllowedSessionValues),
      get: (ctx, key, fallback) => ctx.session.flashMessages.get(key, fallback),
      outgoing: (ctx, key, fallback) => ctx.session.responseFlashMessages.get(key, fallback),
    },
    exemptFromCsrf: (prefix) => exemptFromCsrf(app, prefix),
  }
}
