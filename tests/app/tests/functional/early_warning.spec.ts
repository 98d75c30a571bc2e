import { test } from '@japa/runner'
import emitter from '@adonisjs/core/services/emitter'
import exo from 'adonis-exo/services/main'
import type { SubscriptionFailing, WebhookSubscription } from 'adonis-exo'
import Order from '#models/order'
import { subscribedReceiver } from '#tests/helpers/fixtures'
import { smtpServerOfGroup } from '#tests/helpers/smtp'
import { deleteSubscriptions } from '#tests/helpers/api_fixtures'
import { workerEmitted } from '#tests/helpers/worker'

/**
 * Pings the subscription `times` times: each attempt is logged, and any
 * warning mailed, before its ping returns.
 */
async function ping(subscription: WebhookSubscription, times = 1) {
  for (let sent = 0; sent < times; sent++) await exo.subscriptions.ping(subscription)
}

test.group('Early warning | half of autoDisableAfter failures in a row', (group) => {
  const smtp = smtpServerOfGroup(group)
  group.each.teardown(deleteSubscriptions)

  test('the worker mails the owner and notification emails once, and emits exo:subscription:failing', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user, subscription } = await subscribedReceiver(cleanup, {
      status: 500,
      subscription: { name: 'CRM sync', failureCount: 9, notificationEmails: ['ops@example.com'] },
    })

    await Order.create({ userId: user.id, total: 1, status: 'new' })
    const [{ envelopeTo, mail }] = await smtp().waitFor(1)
    assert.sameMembers(envelopeTo, [user.email, 'ops@example.com'])
    assert.equal(mail.subject, 'Webhook failing: CRM sync')
    assert.include(mail.text, 'The last 10 attempts')
    assert.include(mail.text, 'After 20 consecutive failures Exo disables the subscription')
    assert.include(mail.text, receiver.url)
    assert.include(mail.text, 'attempt 1: HTTP 500')
    assert.include(mail.text, `/exo/webhooks/${subscription.id}`)
    assert.include(String(mail.html), receiver.url)

    const [failing] = await workerEmitted(
      'exo:subscription:failing',
      (payload) => payload.subscriptionId === Number(subscription.id)
    )
    assert.deepEqual(failing.payload, {
      subscriptionId: Number(subscription.id),
      failureCount: 10,
      autoDisableAfter: 20,
    })

    await ping(subscription)
    await subscription.refresh()
    assert.equal(subscription.failureCount, 11)
    assert.isTrue(subscription.isActive)
    assert.lengthOf(smtp().received, 1, 'the next failure of the streak mails no one')
  })

  test('a success re-arms the warning, and so does re-enabling the subscription', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user, subscription } = await subscribedReceiver(cleanup, {
      status: 500,
      subscription: { failureCount: 8 },
    })
    const warnings: SubscriptionFailing[] = []
    cleanup(emitter.on('exo:subscription:failing', (payload) => void warnings.push(payload)))

    await ping(subscription, 3)
    assert.lengthOf(smtp().received, 1)
    assert.deepEqual(smtp().received[0].envelopeTo, [user.email])

    receiver.respondWith(200)
    await ping(subscription)
    receiver.respondWith(500)
    await ping(subscription, 9)
    assert.lengthOf(smtp().received, 1, 'nine failures after the success: not yet')
    await ping(subscription, 2)
    assert.lengthOf(smtp().received, 2, 'the tenth failure of the new streak warns again')

    await exo.subscriptions.update(subscription, { is_active: false }, user)
    await exo.subscriptions.update(subscription, { is_active: true }, user)
    assert.equal(subscription.failureCount, 0)
    await ping(subscription, 10)
    assert.lengthOf(smtp().received, 3, 'after re-enabling, a streak of ten warns again')

    assert.deepEqual(
      warnings.map((warning) => warning.failureCount),
      [10, 10, 10]
    )
    assert.isTrue(warnings.every((warning) => warning.subscriptionId === Number(subscription.id)))
  })
})
