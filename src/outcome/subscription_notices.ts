import type { ApplicationService } from '@adonisjs/core/types'
import type { MailService } from '@adonisjs/mail/types'
import { WebhookDelivery } from '../models/webhook_delivery.js'
import { WebhookSubscription } from '../models/webhook_subscription.js'
import { importDefault } from '../lazy_import.js'
import type { ResolvedExoConfig } from '../types.js'

/** One mail about a subscription: its subject, its views (`emails/<view>` and `…_text`), their data */
interface Notice {
  subject: (subscription: WebhookSubscription) => string
  view: string
  data: Record<string, unknown>
}

/**
 * Mails the owner and the subscription's `notification_emails` what the
 * failure policy did: that a subscription is failing (half of
 * `autoDisableAfter` in a row), or that it was disabled. Each mail says
 * what, why, the last errors, and the subscription's page.
 */
export class SubscriptionNotices {
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

  /** The subscription was disabled for `reason` */
  disabled(subscriptionId: number, reason: string) {
    return this.#send(subscriptionId, {
      subject: (subscription) => `Webhook disabled: ${subscription.name}`,
      view: 'subscription_disabled',
      data: { reason },
    })
  }

  /** The subscription's consecutive failures reached the warning threshold */
  failing(subscriptionId: number, failureCount: number) {
    return this.#send(subscriptionId, {
      subject: (subscription) => `Webhook failing: ${subscription.name}`,
      view: 'subscription_failing',
      data: { failureCount, autoDisableAfter: this.config.delivery.autoDisableAfter },
    })
  }

  async #send(subscriptionId: number, notice: Notice) {
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
      ...notice.data,
      subscription,
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
          .subject(notice.subject(subscription))
          .htmlView(`exo::emails/${notice.view}`, data)
          .textView(`exo::emails/${notice.view}_text`, data)
      })
    } catch (error) {
      const logger = await this.app.container.make('logger')
      logger.error(
        { err: error },
        `adonis-exo could not mail the ${notice.view} notice of #${subscriptionId}`
      )
    }
  }
}
