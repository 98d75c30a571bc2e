import type { HttpContext } from '@adonisjs/core/http'

/**
 * The host app as a webhook receiver: `verifyWebhookMiddleware` has checked
 * the request before this runs. The answer echoes what was verified, so the
 * sender's activity log shows it.
 */
export default class ReceivedWebhooksController {
  async store({ webhook }: HttpContext) {
    return { received: webhook.id, event: webhook.event, resource: webhook.resource }
  }
}
