import { createHash } from 'node:crypto'
import type { Encryption } from '@adonisjs/core/encryption'
import type { ApplicationService } from '@adonisjs/core/types'
import { exemptFromCsrf } from './csrf_exemption.js'
import type { Framework, SecretsCipher } from './framework.js'
import { sessionFlash } from './session_flash.js'

export function sha256(value: string) {
  return createHash('sha256').update(value).digest('hex')
}

/**
 * Secrets encrypted with an `Encryption` of `@adonisjs/encryption` (the
 * APP_KEY of AdonisJS 6's config/app.ts).
 */
export function encryptionSecrets(encryption: Encryption): SecretsCipher {
  return {
    encrypt: (value) => encryption.encrypt(value),
    decrypt: (value) => encryption.decrypt(value),
    fingerprint: (purpose) => sha256(encryption.verifier.sign(purpose)),
  }
}

/**
 * The framework pieces of AdonisJS 6: its `encryption` service, session 7's
 * flash messages, shield 8's CSRF exceptions.
 */
export function adonis6(app: ApplicationService, encryption: Encryption): Framework {
  return {
    secrets: encryptionSecrets(encryption),
    flash: sessionFlash,
    exemptFromCsrf: (prefix) => exemptFromCsrf(app, prefix),
    // AdonisJS 6 hands such a URL to the middleware, where the API's error handling answers it
    answerBadUrlsInJson: () => {},
  }
}
