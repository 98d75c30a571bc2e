import type { ApplicationService } from '@adonisjs/core/types'
import type { MailService } from '@adonisjs/mail/types'
import { WebhookDelivery } from '../models/webhook_delivery.js'
import { WebhookSubscription } from '../models/webhook_subscription.js'
import { importDefault } from '../lazy_import.js'
import type { ResolvedExoConfig } from '../types.js'

/**
 * Mails the owner and the subscription's `notification_emails` when the
 * failure policy disables a subscription: what, why, the last errors, and
 * where to re-enable it.
 */
export class DisabledNotifier {
  constructor(
    private app: ApplicationService,
    private config: ResolvedExoConfig
  ) {}

  #dashboardUrl(subscriptionId: number) {
    const origin =
      process.env.APP_URL ?? `http://${process.env.HOST ?? 'localhost'}:${process.env.PORT ?? 3333}`
    return `${origin.replace(/\/$/, '')}${this.config.prefix.dashboard}/webhooks/${subscriptionId}`
  }

  async #recipients(subscription: WebhookSubscription) {
    const User = await importDefault(this.config.userModel)
    const owner = (await User.find(subscription.userId)) as { email?: string } | null
    return [
      ...new Set([owner?.email, ...subscription.notificationEmails].filter(Boolean)),
    ] as string[]
  }

  async notify(subscriptionId: number, reason: string) {
    const subscription = await WebhookSubscription.find(subscriptionId)
    if (!subscription) return
    const recipients = await this.#recipients(subscription)
    if (recipients.length === 0) return

    const failures = await WebhookDelivery.query()
      .where('subscription_id', subscriptionId)
      .where('status', 'failed')
      .whereNotNull('duration_ms')
      .orderBy('id', 'desc')
      .limit(5)
    const data = {
      subscription,
      reason,
      dashboardUrl: this.#dashboardUrl(subscriptionId),
      errors: failures.map((attempt) => ({
        at: attempt.completedAt?.toUTC().toISO(),
        attempt: attempt.attempt,
        httpStatus: attempt.httpStatus,
        error: attempt.error,
      })),
    }

    try {
      const mail = (await this.app.container.make('mail.manager' as any)) as MailService
      await mail.send((message) => {
        if (this.config.notifications.from) message.from(this.config.notifications.from)
        recipients.forEach((recipient) => message.to(recipient))
        message
          .subject(`Webhook disabled: ${subscription.name}`)
          .htmlView('exo::emails/subscription_disabled', data)
          .textView('exo::emails/subscription_disabled_text', data)
      })
    } catch (error) {
      const logger = await this.app.container.make('logger')
      logger.error(
        { err: error },
        `adonis-exo could not mail the disabled notice of #${subscriptionId}`
      )
    }
  }
}
