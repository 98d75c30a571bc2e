import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { DateTime } from 'luxon'
import { WebhookDelivery, WebhookSubscription } from 'adonis-exo'
import User from '#models/user'

export const DEMO_EMAIL = 'admin@example.com'
export const DEMO_PASSWORD = 'exo-demo-password'
const TOKEN_NAME = 'demo'
const SUBSCRIPTION_NAME = 'Demo receiver'
const FAILING_SUBSCRIPTION_NAME = 'Demo failing endpoint'
const FAILING_NOTIFICATION_EMAILS = ['ops@example.com']

/**
 * Prepares the data of `npm run demo`, the same way each run: the demo admin,
 * a fresh API token (older demo tokens are revoked), one subscription pointing
 * at the demo receiver, and one pointing at the receiver's `/failing` path,
 * which always answers 500, so the demo shows retries, the subscription being
 * disabled and the notice mailed. Both are (re-)enabled on each run. The last
 * output line is a JSON object with the token, the receiver subscription's
 * secret and the ids of both, read by scripts/demo.sh.
 */
export default class DemoSetup extends BaseCommand {
  static commandName = 'demo:setup'
  static description =
    'Create the demo admin, an API token and the demo subscriptions (receiver, failing endpoint)'
  static options: CommandOptions = { startApp: true }

  @flags.number({ description: 'Port of the demo receiver on 127.0.0.1', default: 4000 })
  declare receiverPort: number

  async run() {
    const admin = await User.updateOrCreate(
      { email: DEMO_EMAIL },
      { password: DEMO_PASSWORD, isAdmin: true, fullName: 'Demo admin' }
    )
    const token = await this.freshToken(admin)
    const subscription = await this.receiverSubscription(admin)
    const failing = await this.failingSubscription(admin)

    this.logger.success(
      `Demo admin ${DEMO_EMAIL}, subscription #${subscription.id} (receiver), ` +
        `#${failing.id} (failing endpoint, active again, failure count 0)`
    )
    this.logger.log(
      JSON.stringify({
        token,
        secret: subscription.secret,
        subscriptionId: subscription.id,
        failingSubscriptionId: failing.id,
      })
    )
  }

  /**
   * A new token named "demo", the only one of that name: its value can only
   * be read when it is created.
   */
  async freshToken(admin: User) {
    const exo = await this.app.container.make('exo.manager')
    const tokens = await exo.tokens()
    for (const old of await tokens.all(admin)) {
      if (old.name === TOKEN_NAME) await tokens.delete(admin, old.identifier)
    }
    const token = await tokens.create(admin, ['*'], { name: TOKEN_NAME })
    return token.value!.release()
  }

  /**
   * The admin's subscription to the receiver, kept active and pointed at the
   * receiver's current URL.
   */
  receiverSubscription(admin: User) {
    return this.activeSubscription(admin, SUBSCRIPTION_NAME, {
      url: `http://127.0.0.1:${this.receiverPort}/webhooks`,
      resource: 'order',
      events: ['on_create', 'on_update', 'on_delete'],
    })
  }

  /**
   * The admin's subscription to the receiver's always-failing path, for
   * order creations, mailing ops@example.com too when it is disabled. Each
   * run also closes attempts left pending by a demo stopped mid-way, so the
   * show repeats from the start.
   */
  async failingSubscription(admin: User) {
    const subscription = await this.activeSubscription(admin, FAILING_SUBSCRIPTION_NAME, {
      url: `http://127.0.0.1:${this.receiverPort}/failing`,
      resource: 'order',
      events: ['on_create'],
      notificationEmails: FAILING_NOTIFICATION_EMAILS,
    })
    const leftovers = await WebhookDelivery.query()
      .where('subscription_id', subscription.id)
      .where('status', 'pending')
    for (const attempt of leftovers) {
      attempt.merge({
        status: 'failed',
        error: 'Cancelled: the demo restarted',
        completedAt: DateTime.now(),
      })
      await attempt.save()
    }
    return subscription
  }

  /**
   * The admin's subscription named `name`, created with `fields` on the first
   * run; later runs set `fields` again and make it active with no failure
   * counted.
   */
  async activeSubscription(
    admin: User,
    name: string,
    fields: Pick<Partial<WebhookSubscription>, 'url' | 'resource' | 'events' | 'notificationEmails'>
  ) {
    const existing = await WebhookSubscription.query()
      .where('user_id', admin.id)
      .where('name', name)
      .first()
    if (!existing) return WebhookSubscription.create({ userId: admin.id, name, ...fields })

    existing.merge({
      ...fields,
      isActive: true,
      failureCount: 0,
      disabledAt: null,
      disabledReason: null,
    })
    await existing.save()
    return existing
  }
}
