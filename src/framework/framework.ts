import type { HttpContext } from '@adonisjs/core/http'

/**
 * Encrypts what the package keeps secret at rest (signing secrets, the
 * credentials of a receiver) with the app's key.
 */
export interface SecretsCipher {
  encrypt(value: unknown): string
  /** The value, or null when the app's key did not encrypt it */
  decrypt(value: string): unknown
  /**
   * A digest of `purpose` bound to the app's key: the same in every process
   * of the app, revealing nothing of the key.
   */
  fingerprint(purpose: string): string
}

/**
 * Values carried from one dashboard request to the next: the session's
 * flash messages.
 */
export interface FlashMessages {
  /** Carries `value` to the next request */
  set(ctx: HttpContext, key: string, value: unknown): void
  /** What the previous request carried to this one */
  get<T>(ctx: HttpContext, key: string, fallback: T): T
  /** What this request carries to the next one so far */
  outgoing<T>(ctx: HttpContext, key: string, fallback: T): T
}

/**
 * What the package needs of the parts of AdonisJS that changed between
 * majors, one implementation per major (`adonis6.ts`): the rest of the
 * package reaches those parts only through here.
 */
export interface Framework {
  secrets: SecretsCipher
  flash: FlashMessages
  /** Lets the host's shield skip its CSRF check on the routes under `prefix` */
  exemptFromCsrf(prefix: string): void
  /** Makes a URL under `prefix` that cannot be decoded a 400 in JSON, as the API's errors are */
  answerBadUrlsInJson(prefix: string): void
}

let current: Framework | undefined

/**
 * Makes `framework` the one model columns read (they are declared before any
 * app boots); the provider calls it when it registers.
 */
export function useFramework(pieces: Framework) {
  current = pieces
}

export function framework(): Framework {
  if (!current) {
    throw new Error(
      'adonis-exo: its provider is not registered yet; add "adonis-exo/exo_provider" to the providers of adonisrc.ts'
    )
  }
  return current
}
