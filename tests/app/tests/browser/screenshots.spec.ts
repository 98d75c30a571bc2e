import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import { DateTime } from 'luxon'
import { WebhookDelivery, WebhookSubscription } from 'adonis-exo'
import Order from '#models/order'
import User from '#models/user'
import { apiPath, createdByApi, tokenFor } from '#tests/helpers/api'
import { deleteSubscriptions } from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'
import { fillNewSubscription, openPage, screenshot, signIn } from '#tests/helpers/browser'
import { loggedAttempt } from '#tests/helpers/logged_attempts'
import { receiverFor } from '#tests/helpers/receiver'

/**
 * A week of attempts before now, so the chart and the health panel have a
 * history to show: a steady flow with a bad hour today. Written straight to
 * the activity log: only the screenshots use it.
 */
async function weekOfAttempts(subscriptionId: number) {
  const now = DateTime.now()
  for (let hour = 24 * 6; hour >= 1; hour -= hour > 23 ? 5 : 1) {
    const succeeded = 4 + ((hour * 7) % 9)
    const failed = hour === 9 ? 5 : hour % 6 === 0 ? 1 : 0
    for (let index = 0; index < succeeded + failed; index++) {
      const ok = index < succeeded
      await loggedAttempt(subscriptionId, now.minus({ hours: hour, minutes: index * 3 }), {
        status: ok ? 'success' : 'failed',
        httpStatus: ok ? 200 : 503,
        durationMs: 38 + ((hour * 13 + index * 29) % 47) + (index === 0 ? 180 : 0),
        error: ok ? null : 'HTTP 503',
      })
    }
  }
}

async function ping(client: ApiClient, token: string, id: number) {
  await client.post(await apiPath(`/webhooks/${id}/ping`)).bearerToken(token)
}

/**
 * `npm run screenshots`: a believable account, then one picture of each
 * page into docs/screenshots. Skipped unless EXO_SCREENSHOTS names the
 * folder.
 */
test.group('Dashboard | screenshots', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('of every page', async ({ client, cleanup }) => {
    const crm = await receiverFor(cleanup, { body: '{"received":true}' })
    const ledger = await receiverFor(cleanup, {
      status: 503,
      body: '{"error":"ledger is read-only during the nightly close"}',
    })
    const admin = await User.create({
      email: 'maya@acme.test',
      password: 'secret-password',
      isAdmin: true,
    })
    const token = await tokenFor(admin, { name: 'Deploy bot' })

    const page = await openPage(cleanup, { height: 800 })
    await page.goto('/exo/login')
    await screenshot(page, 'login', { fullPage: false })
    await signIn(page, admin.email)

    await fillNewSubscription(page, {
      name: 'CRM sync',
      url: crm.url,
      events: ['order:on_create', 'order:on_update'],
    })
    await page.getByLabel('Description').fill('New and changed orders, to the CRM')
    await page.getByRole('button', { name: 'Create subscription' }).click()
    await screenshot(page, 'one-time-secret', { fullPage: false })
    const crmId = Number(new URL(page.url()).pathname.split('/').pop())

    const billing = await createdByApi(client, token.value, {
      name: 'Billing ledger',
      url: ledger.url,
      resource: 'order',
      events: ['on_create'],
      notification_emails: ['finance@acme.test'],
    })
    await createdByApi(client, token.value, {
      name: 'Search index',
      url: 'https://search.acme.test/hooks/notes',
      resource: 'note',
      events: ['on_delete'],
      is_active: false,
    })
    const erp = await createdByApi(client, token.value, {
      name: 'Legacy ERP',
      url: 'https://erp.acme.test/inbound/exo',
      resource: 'order',
      events: ['on_create', 'on_update', 'on_delete'],
    })
    const disabled = await WebhookSubscription.findOrFail(erp.id)
    await disabled
      .merge({
        isActive: false,
        failureCount: 20,
        disabledAt: DateTime.now().minus({ hours: 5 }),
        disabledReason: '20 consecutive failed attempts',
      })
      .save()

    await weekOfAttempts(crmId)
    for (const total of [120, 80, 45]) {
      await Order.create({ userId: admin.id, total, status: 'paid' })
    }
    await crm.waitFor(3)
    await ledger.waitFor(3)
    await ping(client, token.value, billing.id)
    await eventually(
      () => WebhookDelivery.query().where('subscription_id', crmId).where('status', 'pending'),
      (pending) => pending.length === 0
    )

    await page.goto('/exo/dashboard')
    await screenshot(page, 'dashboard')

    await fillNewSubscription(page, { name: 'Warehouse', url: 'warehouse.acme', events: [] })
    await page.getByLabel('Notification emails').fill('ops@acme')
    await page.getByRole('button', { name: 'Create subscription' }).click()
    await screenshot(page, 'create-form-validation-error')

    await page.goto(`/exo/webhooks/${crmId}`)
    await screenshot(page.locator('#health'), 'health')
    await page.locator('details.attempt summary').first().click()
    await screenshot(page, 'subscription')

    await page.goto('/exo/tokens')
    await page.getByLabel('Name').fill('CI deploys')
    await page.getByRole('button', { name: 'Create token' }).click()
    await screenshot(page, 'tokens')

    await page.goto('/exo/resources')
    await screenshot(page, 'resources')

    const phone = await openPage(cleanup, { width: 390, height: 844 })
    await signIn(phone, admin.email)
    await screenshot(phone, 'dashboard-phone', { fullPage: false })

    const dark = await openPage(cleanup, { dark: true })
    await signIn(dark, admin.email)
    await dark.goto(`/exo/webhooks/${crmId}`)
    await screenshot(dark, 'subscription-dark', { fullPage: false })
  }).skip(!process.env.EXO_SCREENSHOTS, 'npm run screenshots')
})
