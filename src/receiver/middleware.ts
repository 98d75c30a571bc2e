import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { E_WEBHOOK_BODY_TOO_LARGE, WebhookVerificationError } from './errors.js'
import {
  verifyWebhook,
  type ExoWebhookPayload,
  type VerifyWebhookOptions,
  type WebhookSecrets,
} from './verify_webhook.js'

declare module '@adonisjs/core/http' {
  interface HttpContext {
    /** The verified body, set by `verifyWebhookMiddleware` */
    webhook: ExoWebhookPayload
  }
}

type MaybeSecrets = WebhookSecrets | undefined

export interface VerifyWebhookMiddlewareOptions extends VerifyWebhookOptions {
  /**
   * The subscription's secret(s), or a function finding them for a request.
   * While it is undefined (an env variable not set yet), requests fail with
   * a 500, which the sender retries.
   */
  secret: MaybeSecrets | ((ctx: HttpContext) => MaybeSecrets | Promise<MaybeSecrets>)
}

/** Bodies read here when the bodyparser did not: as large as its JSON default */
const RAW_BODY_LIMIT = 1024 * 1024

/**
 * The body as received. The bodyparser keeps it for JSON requests; any other
 * request is read here.
 */
async function rawBody(ctx: HttpContext): Promise<string | Buffer> {
  const raw = ctx.request.raw()
  if (raw !== null) return raw
  const stream = ctx.request.request
  if (stream.readableEnded) return ''

  // Read to the end, keeping at most the limit, so the sender gets the answer
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    size += chunk.length
    if (size <= RAW_BODY_LIMIT) chunks.push(chunk)
  }
  if (size > RAW_BODY_LIMIT) {
    throw new E_WEBHOOK_BODY_TOO_LARGE('The webhook body is larger than 1 MiB')
  }
  return Buffer.concat(chunks)
}

/**
 * A route middleware that lets through only requests adonis-exo signed with
 * the secret, and puts their parsed body on `ctx.webhook`. Others are
 * answered `{ code, message }` with a 401 (400 for a signed body that is
 * not JSON).
 *
 *   router.post('/webhooks/exo', handler).use(verifyWebhookMiddleware({ secret }))
 */
export function verifyWebhookMiddleware(options: VerifyWebhookMiddlewareOptions) {
  return async function verifyExoWebhook(ctx: HttpContext, next: NextFn) {
    const secret = typeof options.secret === 'function' ? await options.secret(ctx) : options.secret
    try {
      ctx.webhook = verifyWebhook(await rawBody(ctx), ctx.request.headers(), secret ?? [], options)
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error
      return ctx.response.status(error.status).json({ code: error.code, message: error.message })
    }
    return next()
  }
}
