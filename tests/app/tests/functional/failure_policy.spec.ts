import { setTimeout as sleep } from 'node:timers/promises'
import { test } from '@japa/runner'
import exo from 'adonis-exo/services/main'
import { WebhookDelivery, WebhookSubscription } from 'adonis-exo'
import Note from '#models/note'
import Order from '#models/order'
import { createUser, subscribe, subscribedReceiver } from '#tests/helpers/fixtures'
import { startReceiver } from '#tests/helpers/receiver'
import { startSmtpServer } from '#tests/helpers/smtp'
import { deleteSubscriptions } from '#tests/helpers/api_fixtures'

async function attemptsOf(subscription: WebhookSubscription, count: number) {
  let attempts: WebhookDelivery[] = []
  for (let tries = 0; tries < 200; tries++) {
    attempts = await WebhookDelivery.query()
      .where('subscription_id', subscription.id)
      .whereNot('status', 'pending')
      .orderBy('id')
    if (attempts.length >= count) break
    await sleep(50)
  }
  return attempts
}

async function until(check: () => Promise<boolean>, what: string) {
  for (let tries = 0; tries < 200; tries++) {
    if (await check()) return
    await sleep(50)
  }
  throw new Error(`Timed out waiting for ${what}`)
}

test.group('Failure policy | Retry-After, 410, redirects, auto-disable and its mail', (group) => {
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>
  group.setup(async () => {
    smtp = await startSmtpServer()
    return () => smtp.close()
  })
  group.each.setup(() => {
    smtp.received.length = 0
  })
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
    assert.isAtLeast(waited, 0)
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
    const [attempt] = await attemptsOf(subscription, 1)
    assert.equal(attempt.status, 'failed')
    assert.equal(attempt.httpStatus, 302)
    await sleep(200)
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
    await until(async () => {
      await subscription.refresh()
      return !subscription.isActive
    }, 'the subscription to be disabled')

    assert.isNotNull(subscription.disabledAt)
    assert.match(subscription.disabledReason!, /410/)
    const pending = await WebhookDelivery.query()
      .where('subscription_id', subscription.id)
      .where('status', 'pending')
    assert.lengthOf(pending, 0, 'no retry is scheduled after 410')

    const [{ envelopeTo, mail }] = await smtp.waitFor(1)
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
    await until(async () => {
      await subscription.refresh()
      return !subscription.isActive
    }, 'the subscription to be disabled')
    assert.equal(subscription.disabledReason, '20 consecutive failed attempts')
    await smtp.waitFor(1)

    // Another failed attempt after the disable (a ping) sends no second mail
    const ping = await exo.subscriptions.ping(subscription)
    assert.equal(ping.httpStatus, 500)
    await Order.create({ userId: user.id, total: 3, status: 'new' })
    await sleep(1000)
    assert.lengthOf(smtp.received, 1)
    assert.lengthOf(receiver.received, 2, 'an inactive subscription gets no events')
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

    const attempts = await attemptsOf(subscription, 2)
    assert.deepEqual(
      attempts.map((attempt) => attempt.attempt),
      [1, 2]
    )
    await sleep(1500)
    assert.lengthOf(receiver.received, 2, 'the schedule has two steps: no third attempt')
  })
})
