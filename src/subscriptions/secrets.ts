import { randomBytes } from 'node:crypto'

export const SECRET_PREFIX = 'whsec_'

/**
 * A signing secret: `whsec_` and the base64 of 32 random bytes.
 */
export function generateSecret() {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`
}

/**
 * The last characters of a secret, stored in clear so it can be masked.
 */
export function secretHint(secret: string) {
  return secret.slice(-4)
}

export function maskSecret(hint: string) {
  return `${SECRET_PREFIX}****${hint}`
}
