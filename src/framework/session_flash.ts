import type { AllowedSessionValues } from '@adonisjs/session/types'
import type { FlashMessages } from './framework.js'

/**
 * Flash messages through the session's own API, the same in session 7
 * (AdonisJS 6) and session 8 (AdonisJS 7).
 */
export const sessionFlash: FlashMessages = {
  set: (ctx, key, value) => ctx.session.flash(key, value as AllowedSessionValues),
  get: (ctx, key, fallback) => ctx.session.flashMessages.get(key, fallback),
  outgoing: (ctx, key, fallback) => ctx.session.responseFlashMessages.get(key, fallback),
}
