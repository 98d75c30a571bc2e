import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { DateTime } from 'luxon'
import string from '@adonisjs/core/helpers/string'
import { WebhookDelivery, WebhookSubscription } from 'adonis-exo'
import User from '#models/user'

export const DEMO_EMAIL = 'admin@example.com'
export const DEMO_PASSWORD = 'exo-demo-password'
const TOKEN_NAME = 'demo'
const SUBSCRIPTION_NAME = 'Demo receiver'
const FAILING_SUBSCRIPTION_NAME = 'Demo failing endpoint'
const FAILING_NOTIFICATION_EMAILS = ['ops@example.com']

/**
 * What a run changed, in words, for the demo's banner.
 */
type Changes = string[]

/**
 * Prepares the data of `npm run demo`, the same way each run: the demo admin,
 * a fresh API token (older demo tokens are revoked), one subscription pointing
 * at the demo receiver, and one pointing at the receiver's `/failing` path,
 * which always answers 500, so the demo shows retries, the subscription being
 * disabled and the notice mailed. Both are (re-)enabled on each run; their
 * secrets are kept. The last output line is a JSON object with the token, the
 * ids of both subscriptions and what this run changed, read by
 * scripts/demo.sh.
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
    const changes: Changes = []
    const token = await this.freshToken(admin, changes)
    const subscription = await this.receiverSubscription(admin, changes)
    const failing = await this.failingSubscription(admin, changes)

    this.logger.success(
      `Demo admin ${DEMO_EMAIL}, subscription #${subscription.id} (receiver), ` +
        `#${failing.id} (failing endpoint, active, failure count 0)`
    )
    for (const change of changes) this.logger.info(change)
    this.logger.log(
      JSON.stringify({
        token,
        subscriptionId: subscription.id,
        failingSubscriptionId: failing.id,
        changes,
      })
    )
  }

  /**
   * A new token named "demo", the only one of that name: its value can only
   * be read when it is created, so each run makes one and revokes the last.
   */
  async freshToken(admin: User, changes: Changes) {
    const exo = await this.app.container.make('exo.manager')
    const tokens = await exo.tokens()
    let revoked = 0
    for (const old of await tokens.all(admin)) {
      if (old.name === TOKEN_NAME) revoked += await tokens.delete(admin, old.identifier)
    }
    const token = await tokens.create(admin, ['*'], { name: TOKEN_NAME })
    changes.push(
      revoked === 0
        ? `API token: a new one named "${TOKEN_NAME}" (no older one to revoke)`
        : `API token: a new one; the previous "${TOKEN_NAME}" token is revoked (requests with it now get 401)`
    )
    return token.value!.release()
  }

  /**
   * The admin's subscription to the receiver, kept active and pointed at the
   * receiver's current URL.
   */
  receiverSubscription(admin: User, changes: Changes) {
    return this.activeSubscription(admin, SUBSCRIPTION_NAME, changes, {
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
  async failingSubscription(admin: User, changes: Changes) {
    const subscription = await this.activeSubscription(admin, FAILING_SUBSCRIPTION_NAME, changes, {
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
    if (leftovers.length > 0) {
      changes.push(
        `"${FAILING_SUBSCRIPTION_NAME}": ${leftovers.length} attempt(s) left pending by the last run cancelled`
      )
    }
    return subscription
  }

  /**
   * The admin's subscription named `name`, created with `fields` on the first
   * run; later runs set `fields` again and make it active with no failure
   * counted, and say what that changed. Its secret is kept.
   */
  async activeSubscription(
    admin: User,
    name: string,
    changes: Changes,
    fields: Pick<Partial<WebhookSubscription>, 'url' | 'resource' | 'events' | 'notificationEmails'>
  ) {
    const existing = await WebhookSubscription.query()
      .where('user_id', admin.id)
      .where('name', name)
      .first()
    if (!existing) {
      const created = await WebhookSubscription.create({ userId: admin.id, name, ...fields })
      changes.push(`"${name}": created (#${created.id}) with a new secret`)
      return created
    }

    const restored = (Object.keys(fields) as (keyof typeof fields)[]).filter(
      (key) => JSON.stringify(existing[key]) !== JSON.stringify(fields[key])
    )
    const done = [
      existing.isActive
        ? null
        : `enabled again (it was ${existing.disabledReason ? `disabled: ${existing.disabledReason}` : 'paused'})`,
      existing.failureCount > 0 ? `failure count ${existing.failureCount} → 0` : null,
      restored.length > 0
        ? `${restored.map((key) => string.snakeCase(key)).join(', ')} set back to the demo's`
        : null,
    ].filter(Boolean)
    if (done.length > 0) changes.push(`"${name}": ${done.join('; ')}`)

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
