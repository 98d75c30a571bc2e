/**
 * `adonis-exo/receiver`: verifying adonis-exo's webhooks in any Node app.
 * Nothing here imports AdonisJS.
 */
export {
  verifyWebhook,
  type ExoWebhookPayload,
  type VerifyWebhookOptions,
  type WebhookHeaders,
  type WebhookSecrets,
} from './verify_webhook.js'
export * as errors from './errors.js'
export { WebhookVerificationError } from './errors.js'
