import type { HttpContext } from '@adonisjs/core/http'
import type { FlashMessages } from '../../framework/framework.js'
import { withoutReservedKeys } from '../../reserved_keys.js'

const FLASH_KEY = 'exo_form'

/** Form fields whose values are never kept for the next page, nor rendered back */
const UNKEPT_FIELDS = new Set([
  '_csrf',
  '_method',
  'password',
  'auth_password',
  'auth_token',
  'secret_header_value',
])

interface FlashedForm {
  input: Record<string, unknown>
  errors: Record<string, string[]>
}

/** Validation messages by the field they name */
function errorsByField(messages: { field: string; message: string }[]) {
  const errors: Record<string, string[]> = {}
  for (const { field, message } of messages) {
    errors[field] ??= []
    errors[field].push(message)
  }
  return errors
}

/**
 * Keeps what the user typed (credentials aside) and the validation
 * messages for the page the user is sent back to.
 */
export function flashForm(
  flash: FlashMessages,
  ctx: HttpContext,
  messages: { field: string; message: string }[],
  input: Record<string, unknown> = ctx.request.body()
) {
  const errors = errorsByField(messages)
  // Kept in the session, whose values go through lodash: no prototype-reaching key goes there
  const kept = withoutReservedKeys(
    Object.fromEntries(Object.entries(input).filter(([key]) => !UNKEPT_FIELDS.has(key)))
  )
  flash.set(ctx, FLASH_KEY, { input: kept, errors } satisfies FlashedForm)
}

/**
 * The flashed form of the previous request, as templates read it: a field's
 * old value and its messages. A message about `auth.password` or
 * `headers.X-Team` belongs to the `auth` or `headers` part of the form.
 */
export class FormState {
  readonly input: Record<string, unknown> | null
  readonly #errors: Record<string, string[]>

  constructor(flashed: FlashedForm | undefined) {
    this.input = flashed?.input ?? null
    this.#errors = flashed?.errors ?? {}
  }

  /** The form the previous request flashed */
  static of(flash: FlashMessages, ctx: HttpContext) {
    return new FormState(flash.get<FlashedForm | undefined>(ctx, FLASH_KEY, undefined))
  }

  /** A form shown again at once, on the same page, with what was typed and its messages */
  static invalid(input: Record<string, unknown>, messages: { field: string; message: string }[]) {
    return new FormState({ input, errors: errorsByField(messages) })
  }

  get hasErrors() {
    return Object.keys(this.#errors).length > 0
  }

  errors(field: string): string[] {
    return Object.entries(this.#errors)
      .filter(([name]) => name === field || name.startsWith(`${field}.`))
      .flatMap(([, messages]) => messages)
  }

  /** Every message, for the summary at the top of a form */
  all(): string[] {
    return Object.values(this.#errors).flat()
  }

  /**
   * The attributes tying an invalid input to its messages (rendered raw:
   * `id` comes from the template, never from the user).
   */
  aria(field: string, id: string = field) {
    return this.errors(field).length > 0 ? `aria-invalid="true" aria-describedby="${id}-error"` : ''
  }

  old(field: string, fallback: unknown = '') {
    const value = this.input?.[field]
    return value === undefined || value === null ? fallback : value
  }
}
