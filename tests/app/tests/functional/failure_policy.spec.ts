import { test } from '@japa/runner'
import exo from 'adonis-exo/services/main'
import { WebhookDelivery, WebhookSubscription } from 'adonis-exo'
import Note from '#models/note'
import Order from '#models/order'
import { createUser, subscribe, subscribedReceiver } from '#tests/helpers/fixtures'
import { startReceiver } from '#tests/helpers/receiver'
import { smtpServerOfGroup } from '#tests/helpers/smtp'
import { attemptsOf, deleteSubscriptions, fannedOutTo } from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'
import { workerEmitted } from '#tests/helpers/worker'

/**
 * Waits until the failure policy disabled the subscription, which it refreshes.
 */
async function disabled(subscription: WebhookSubscription) {
  await eventually(
    () => subscription.refresh().then(() => subscription.isActive),
    (active) => !active,
    { what: `Subscription ${subscription.id} disabled` }
  )
}

test.group('Failure policy | Retry-After, 410, redirects, auto-disable and its mail', (group) => {
  const smtp = smtpServerOfGroup(group)
  group.each.teardown(deleteSubscriptions)

  test('429 with Retry-After delays the next attempt as asked', async ({ assert, cleanup }) => {
    const { receiver, user, subscription } = await subscribedReceiver(cleanup, {
      status: 429,
      headers: { 'Retry-After': '1' },
    })

    await Order.create({ userId: user.id, total: 1, status: 'new' })
    await receiver.waitFor(1)
    receiver.respondWith(200)
    const [first, second] = await receiver.waitFor(2)

    assert.equal(first.headers['webhook-id'], second.headers['webhook-id'])
    const retry = await WebhookDelivery.query()
      .where('subscription_id', subscription.id)
      .where('attempt', 2)
      .firstOrFail()
    const first1 = await WebhookDelivery.query()
      .where('subscription_id', subscription.id)
      .where('attempt', 1)
      .firstOrFail()
    const waited = retry.scheduledAt.toMillis() - first1.completedAt!.toMillis()
    assert.isAtLeast(waited, 1000, 'as long as Retry-After: 1 asks')
    assert.isAtMost(waited, 2000, 'the 30s step gave way to Retry-After: 1')
    assert.equal(first1.httpStatus, 429)
  })

  test('a redirect is a failure and is never followed', async ({ assert, cleanup }) => {
    const target = await startReceiver({ cleanup })
    const receiver = await startReceiver({
      status: 302,
      headers: { Location: target.url },
      cleanup,
    })
    const user = await createUser()
    const subscription = await subscribe(user, receiver.url)

    await Order.create({ userId: user.id, total: 1, status: 'new' })
    const [attempt] = await attemptsOf(subscription.id, ([first]) => first?.status === 'failed')
    assert.equal(attempt.httpStatus, 302)
    // The outcome is logged once the request is over: a followed redirect would be in by now
    assert.lengthOf(target.received, 0)
  })

  test('410 Gone disables the subscription at once and mails the owner and notification emails', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user, subscription } = await subscribedReceiver(cleanup, {
      status: 410,
      subscription: { name: 'CRM sync', notificationEmails: ['ops@example.com'] },
    })

    await Order.create({ userId: user.id, total: 1, status: 'new' })
    await disabled(subscription)

    assert.isNotNull(subscription.disabledAt)
    assert.match(subscription.disabledReason!, /410/)
    const pending = await WebhookDelivery.query()
      .where('subscription_id', subscription.id)
      .where('status', 'pending')
    assert.lengthOf(pending, 0, 'no retry is scheduled after 410')

    const [{ envelopeTo, mail }] = await smtp().waitFor(1)
    assert.sameMembers(envelopeTo, [user.email, 'ops@example.com'])
    assert.equal(mail.subject, 'Webhook disabled: CRM sync')
    assert.include(mail.text, receiver.url)
    assert.include(mail.text, `/exo/webhooks/${subscription.id}`)
    assert.include(String(mail.html), receiver.url)
  })

  test('autoDisableAfter consecutive failures disables the subscription and mails exactly once', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user, subscription } = await subscribedReceiver(cleanup, {
      status: 500,
      subscription: { failureCount: 19 },
    })

    await Order.create({ userId: user.id, total: 1, status: 'new' })
    await receiver.waitFor(1)
    await disabled(subscription)
    assert.equal(subscription.disabledReason, '20 consecutive failed attempts')
    await smtp().waitFor(1)

    // Another failed attempt after the disable (a ping, logged before it returns) sends no second mail
    const ping = await exo.subscriptions.ping(subscription)
    assert.equal(ping.httpStatus, 500)
    const order = await Order.create({ userId: user.id, total: 3, status: 'new' })
    assert.notInclude(
      await fannedOutTo(order),
      Number(subscription.id),
      'an inactive subscription gets no events'
    )
    assert.lengthOf(smtp().received, 1)
    assert.lengthOf(receiver.received, 2, 'the first attempt and the ping')
    const pending = await WebhookDelivery.query()
      .where('subscription_id', subscription.id)
      .where('status', 'pending')
    assert.lengthOf(pending, 0, 'pending attempts are cancelled')
  })
})

test.group('Failure policy | per-resource backoff', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('a resource’s webhookBackoff replaces the configured schedule', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, subscription } = await subscribedReceiver(cleanup, {
      status: 500,
      user: { isAdmin: true },
      subscription: { resource: 'note', events: ['on_delete'] },
    })

    const note = await Note.create({ body: 'x' })
    await note.delete()
    const [first, second] = await receiver.waitFor(2, 10_000)
    assert.equal(first.headers['webhook-id'], second.headers['webhook-id'])

    // The worker tells when it logs the second failure that no attempt follows
    const [, last] = await workerEmitted(
      'exo:delivery:failed',
      (failure) => failure.subscriptionId === Number(subscription.id),
      2
    )
    assert.equal(last.payload.attempt, 2)
    assert.isFalse(last.payload.retryScheduled, 'the schedule has two steps: no third attempt')
    const attempts = await attemptsOf(subscription.id)
    assert.deepEqual(
      attempts.map((attempt) => [attempt.attempt, attempt.status]),
      [
        [1, 'failed'],
        [2, 'failed'],
      ]
    )
  })
})
