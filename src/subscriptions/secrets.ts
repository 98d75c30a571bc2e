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

/**
 * A URL as it is shown back, in the API and on the dashboard: a username or
 * password in it is masked. The API refuses such URLs; one written by the
 * app's own code may still hold them.
 */
export function maskUrlCredentials(url: string) {
  if (!URL.canParse(url)) return url
  const parsed = new URL(url)
  if (!parsed.username && !parsed.password) return url
  if (parsed.username) parsed.username = '****'
  if (parsed.password) parsed.password = '****'
  return parsed.href
}
