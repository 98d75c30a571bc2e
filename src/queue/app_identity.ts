import { createHash } from 'node:crypto'
import type { Encryption } from '@adonisjs/core/encryption'

/**
 * What every job of this app carries, so that a worker of another app on the
 * same Redis never runs it: a digest of a constant signed with the app's
 * APP_KEY. Every process of one app computes the same; it reveals nothing of
 * the key.
 */
export function appIdentity(encryption: Encryption): string {
  const signed = encryption.verifier.sign('adonis-exo:app-identity')
  return createHash('sha256').update(signed).digest('hex').slice(0, 16)
}
