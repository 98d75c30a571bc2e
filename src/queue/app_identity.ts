import type { SecretsCipher } from '../framework/framework.js'

/**
 * What every job of this app carries, so that a worker of another app on the
 * same Redis never runs it: a fingerprint of the app's key. Every process of
 * one app computes the same; it reveals nothing of the key.
 */
export function appIdentity(secrets: SecretsCipher): string {
  return secrets.fingerprint('adonis-exo:app-identity').slice(0, 16)
}
