/**
 * Why a request was refused as a webhook. Each failure has its own class and
 * `code`, and the HTTP status a receiver should answer with.
 */
export class WebhookVerificationError extends Error {
  static code = 'E_WEBHOOK_VERIFICATION'
  static status = 401

  readonly code: string
  readonly status: number

  constructor(message: string) {
    super(message)
    const kind = this.constructor as typeof WebhookVerificationError
    this.name = kind.name
    this.code = kind.code
    this.status = kind.status
  }
}

/** A header the chosen signature scheme needs is absent or empty */
export const E_MISSING_WEBHOOK_HEADER = class extends WebhookVerificationError {
  static code = 'E_MISSING_WEBHOOK_HEADER'
}

/** `webhook-timestamp` is not a number of seconds, or too far from now */
export const E_INVALID_WEBHOOK_TIMESTAMP = class extends WebhookVerificationError {
  static code = 'E_INVALID_WEBHOOK_TIMESTAMP'
}

/** No signature matches the body under any of the secrets */
export const E_INVALID_WEBHOOK_SIGNATURE = class extends WebhookVerificationError {
  static code = 'E_INVALID_WEBHOOK_SIGNATURE'
}

/** The signature matches but the body is not JSON */
export const E_INVALID_WEBHOOK_PAYLOAD = class extends WebhookVerificationError {
  static code = 'E_INVALID_WEBHOOK_PAYLOAD'
  static status = 400
}

/** A body the receiver would not read to the end */
export const E_WEBHOOK_BODY_TOO_LARGE = class extends WebhookVerificationError {
  static code = 'E_WEBHOOK_BODY_TOO_LARGE'
  static status = 413
}
