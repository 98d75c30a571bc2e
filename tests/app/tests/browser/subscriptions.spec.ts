import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import type { ApiClient } from '@japa/api-client'
import { WebhookSubscription } from 'adonis-exo'
import { apiGet, apiPath, createdByApi } from '#tests/helpers/api'
import { userWithToken, deleteSubscriptions, subscriptionBody } from '#tests/helpers/api_fixtures'
import {
  fillNewSubscription,
  openPage,
  pathOf,
  signedInUser,
  signIn,
  subscriptionIdOf,
} from '#tests/helpers/browser'
import { receiverFor } from '#tests/helpers/receiver'

type Cleanup = (fn: () => Promise<void>) => void

/**
 * A signed-in user with one subscription, "API hook", made through the API.
 */
async function withSubscription(cleanup: Cleanup, client: ApiClient, overrides = {}) {
  const { user, token, page } = await signedInUser(cleanup)
  const body = subscriptionBody('https://example.com/hook', overrides)
  const { id } = await createdByApi(client, token, body)
  const api = () => apiGet(client, token, `/webhooks/${id}`)
  const ping = async () => client.post(await apiPath(`/webhooks/${id}/ping`)).bearerToken(token)
  return { user, token, page, id, api, ping }
}

function basicAuth(username: string, password: string) {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
}

test.group('Dashboard | subscriptions', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('create with every field: the API returns it as typed', async (context) => {
    const { assert, client, cleanup } = context
    const receiver = await receiverFor(cleanup)
    const { token, page } = await signedInUser(cleanup)

    await fillNewSubscription(page, {
      name: 'CRM sync',
      url: receiver.url,
      events: ['order:on_create', 'order:on_update'],
    })
    await page.getByLabel('Description').fill('Orders to the CRM')
    await page.getByLabel('Environments').fill('test, staging')
    await page.getByRole('radio', { name: 'Basic' }).check()
    await page.getByLabel('Basic username').fill('hook-user')
    await page.getByLabel('Basic password').fill('hook pass')
    await page.getByLabel('Secret header name').fill('X-Webhook-Secret')
    await page.getByLabel('Secret header value').fill('shared-value')
    await page.getByLabel('Custom headers').fill('X-Team: billing\nX-Region: eu')
    await page.getByLabel('Notification emails').fill('ops@example.com\nalerts@example.com')
    await page.getByRole('button', { name: 'Create subscription' }).click()

    const id = subscriptionIdOf(page)
    assert.isTrue(await page.getByText('Subscription "CRM sync" created').isVisible())
    const created = await apiGet(client, token, `/webhooks/${id}`)
    assert.equal(created.status, 200)
    assert.containsSubset(created.body, {
      name: 'CRM sync',
      description: 'Orders to the CRM',
      url: receiver.url,
      resource: 'order',
      events: ['on_create', 'on_update'],
      is_active: true,
      headers: { 'X-Team': 'billing', 'X-Region': 'eu' },
      auth: { type: 'basic', username: 'hook-user' },
      secret_header: { name: 'X-Webhook-Secret' },
      notification_emails: ['ops@example.com', 'alerts@example.com'],
      environments: ['test', 'staging'],
    })

    // The write-only values were stored as typed: the receiver gets them
    await page.getByRole('button', { name: 'Send ping' }).click()
    const [request] = receiver.received
    assert.equal(request.headers.authorization, basicAuth('hook-user', 'hook pass'))
    assert.equal(request.headers['x-webhook-secret'], 'shared-value')
    assert.equal(request.headers['x-team'], 'billing')
  })

  test('mistakes are named per field, the input kept, nothing created', async (context) => {
    const { assert, client, cleanup } = context
    const { token, page } = await signedInUser(cleanup)
    await fillNewSubscription(page, { name: 'Broken <b>hook</b>', url: 'not a url', events: [] })
    await page.getByLabel('Custom headers').fill('X-Team: billing\nno colon here')
    await page.getByLabel('Notification emails').fill('not-an-email')
    await page.getByRole('radio', { name: 'Bearer token' }).check()
    await page.getByRole('button', { name: 'Create subscription' }).click()

    assert.equal(pathOf(page), '/exo/webhooks/create')
    assert.isTrue(await page.getByText('The subscription was not saved').isVisible())
    const fieldErrors = {
      url: /The url field must be a valid URL/,
      events: /Choose at least one event: on_create, on_update or on_delete/,
      headers: /Line 2 of the headers is not "Name: value"/,
      notification_emails: /The notification_emails.0 field must be a valid email address/,
      auth_token: /auth.token/,
    }
    for (const [field, message] of Object.entries(fieldErrors)) {
      assert.match(await page.locator(`#${field}-error`).innerText(), message, field)
    }
    const url = page.getByLabel('URL')
    assert.equal(await url.getAttribute('aria-invalid'), 'true')
    assert.equal(await url.getAttribute('aria-describedby'), 'url-error')
    assert.equal(await url.inputValue(), 'not a url')
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Broken <b>hook</b>')
    assert.equal(
      await page.getByLabel('Custom headers').inputValue(),
      'X-Team: billing\nno colon here'
    )
    assert.isTrue(await page.getByRole('radio', { name: 'Bearer token' }).isChecked())

    const list = await apiGet(client, token, '/webhooks')
    assert.deepEqual(list.body.data, [])
  })

  test('a name left blank is the URL’s host', async (context) => {
    const { assert, client, cleanup } = context
    const { token, page } = await signedInUser(cleanup)
    await fillNewSubscription(page, { name: '', url: 'https://hooks.example.com:8443/x' })
    await page.getByRole('button', { name: 'Create subscription' }).click()

    const id = subscriptionIdOf(page)
    assert.isTrue(await page.getByText('Subscription "hooks.example.com" created').isVisible())
    const created = await apiGet(client, token, `/webhooks/${id}`)
    assert.equal(created.body.name, 'hooks.example.com')
  })

  test('an edit cannot blank the name', async ({ assert, client, cleanup }) => {
    const { page, id, api } = await withSubscription(cleanup, client)
    await page.goto(`/exo/webhooks/${id}/edit`)
    const name = page.getByLabel('Name', { exact: true })
    assert.equal(await name.getAttribute('required'), '')
    // What a browser without constraint validation, or a crafted request, sends
    await name.evaluate((input) => input.removeAttribute('required'))
    await name.fill('  ')
    await page.getByRole('button', { name: 'Save changes' }).click()

    assert.equal(pathOf(page), `/exo/webhooks/${id}/edit`)
    assert.equal(await page.locator('#name-error').innerText(), 'The name field must not be blank')
    const unchanged = await api()
    assert.equal(unchanged.body.name, 'API hook')
  })

  test('without JavaScript, events of another resource are refused', async (context) => {
    const { assert, client, cleanup } = context
    const { token, page } = await signedInUser(cleanup, { javaScript: false })
    await fillNewSubscription(page, {
      name: 'Mixed',
      url: 'https://example.com/hook',
      events: ['order:on_create', 'note:on_delete'],
    })
    assert.isTrue(await page.locator('[data-events-of="order"]').isVisible())
    assert.isTrue(await page.locator('[data-events-of="note"]').isVisible())
    await page.getByRole('button', { name: 'Create subscription' }).click()

    assert.match(
      await page.locator('#events-error').innerText(),
      /must be of the order resource, not of note/
    )
    const list = await apiGet(client, token, '/webhooks')
    assert.deepEqual(list.body.data, [])
  })

  test('with JavaScript, the form offers the chosen resource’s triggers', async (context) => {
    const { assert, client, cleanup } = context
    const { token, page } = await signedInUser(cleanup)
    await fillNewSubscription(page, {
      name: 'Notes',
      url: 'https://example.com/notes',
      events: ['note:on_delete'],
    })
    assert.isFalse(await page.locator('[data-events-of="order"]').isVisible())
    assert.isTrue(await page.locator('[data-events-of="note"]').isVisible())
    assert.isFalse(await page.getByLabel('Basic username').isVisible(), 'no auth, no auth fields')
    await page.getByRole('button', { name: 'Create subscription' }).click()

    const created = await apiGet(client, token, `/webhooks/${subscriptionIdOf(page)}`)
    assert.containsSubset(created.body, { resource: 'note', events: ['on_delete'] })
  })

  test('editing changes the API’s answer; blank credentials are kept', async (context) => {
    const { assert, client, cleanup } = context
    const receiver = await receiverFor(cleanup)
    const { user, page, id, api, ping } = await withSubscription(cleanup, client, {
      auth: { type: 'basic', username: 'kept-user', password: 'stored password' },
      secret_header: { name: 'X-Shared', value: 'stored-value' },
    })

    await page.goto(`/exo/webhooks/${id}/edit`)
    const html = await page.content()
    assert.notInclude(html, 'stored password')
    assert.notInclude(html, 'stored-value')
    assert.equal(await page.getByLabel('Basic username').inputValue(), 'kept-user')
    assert.equal(await page.getByLabel('Basic password').inputValue(), '')

    await page.getByLabel('Name', { exact: true }).fill('Renamed hook')
    await page.getByLabel('URL').fill(receiver.url)
    await page.locator('[data-events-of="order"]').getByLabel('on_delete').check()
    await page.getByLabel('Custom headers').fill('X-Team: ops')
    await page.getByRole('button', { name: 'Save changes' }).click()

    assert.equal(subscriptionIdOf(page), id)
    const edited = await api()
    assert.containsSubset(edited.body, {
      name: 'Renamed hook',
      url: receiver.url,
      events: ['on_create', 'on_delete'],
      headers: { 'X-Team': 'ops' },
      auth: { type: 'basic', username: 'kept-user' },
      secret_header: { name: 'X-Shared' },
    })

    await ping()
    const [request] = receiver.received
    assert.equal(request.headers.authorization, basicAuth('kept-user', 'stored password'))
    assert.equal(request.headers['x-shared'], 'stored-value')

    await page.goto('/exo/dashboard')
    const row = page.locator(`[data-subscription="${id}"]`)
    assert.include(await row.innerText(), `by ${user.email}`)
  })

  test('an edit with a mistake changes nothing', async ({ assert, client, cleanup }) => {
    const { page, id, api } = await withSubscription(cleanup, client)
    await page.goto(`/exo/webhooks/${id}/edit`)
    await page.getByLabel('URL').fill('ftp://example.com/hook')
    await page.getByRole('button', { name: 'Save changes' }).click()

    assert.equal(pathOf(page), `/exo/webhooks/${id}/edit`)
    assert.match(await page.locator('#url-error').innerText(), /url/)
    assert.equal(await page.getByLabel('URL').inputValue(), 'ftp://example.com/hook')
    const unchanged = await api()
    assert.equal(unchanged.body.url, 'https://example.com/hook')
  })

  test('the filter is JSON: a mistake is named on its field, the page shows it, blank clears it', async (context) => {
    const { assert, client, cleanup } = context
    // Without JavaScript: the form works as plain HTML
    const { token, page } = await signedInUser(cleanup, { javaScript: false })
    const { id } = await createdByApi(client, token, subscriptionBody('https://example.com/hook'))
    const storedFilter = async () => {
      const shown = await apiGet(client, token, `/webhooks/${id}`)
      return shown.body.filter
    }
    const save = async (text: string) => {
      await page.goto(`/exo/webhooks/${id}/edit`)
      await page.getByLabel('Filter').fill(text)
      await page.getByRole('button', { name: 'Save changes' }).click()
    }

    await save('{"data.total": {"$gt": true}}')
    assert.equal(pathOf(page), `/exo/webhooks/${id}/edit`)
    assert.match(await page.locator('#filter-error').innerText(), /filter\.data\.total\.\$gt/)
    assert.equal(await page.getByLabel('Filter').getAttribute('aria-invalid'), 'true')
    assert.equal(await page.getByLabel('Filter').inputValue(), '{"data.total": {"$gt": true}}')
    await save('{"data.status": ')
    assert.match(await page.locator('#filter-error').innerText(), /The filter must be JSON/)
    assert.isNull(await storedFilter())

    await save('{"data.status": "paid", "data.total": {"$gte": 100}}')
    assert.equal(subscriptionIdOf(page), id)
    assert.include(await page.locator('#subscription-filter').innerText(), '"$gte": 100')
    assert.deepEqual(await storedFilter(), {
      'data.status': 'paid',
      'data.total': { $gte: 100 },
    })
    await page.goto(`/exo/webhooks/${id}/edit`)
    assert.include(await page.getByLabel('Filter').inputValue(), '"data.status": "paid"')

    await save('')
    assert.equal(subscriptionIdOf(page), id)
    assert.isNull(await storedFilter())
  })

  test('the rate limit: set, kept on the edit form and the page, cleared when blanked', async (context) => {
    const { assert, client, cleanup } = context
    const { token, page } = await signedInUser(cleanup, { javaScript: false })
    const { id } = await createdByApi(client, token, subscriptionBody('https://example.com/hook'))
    const storedLimit = async () => {
      const shown = await apiGet(client, token, `/webhooks/${id}`)
      return shown.body.rate_limit
    }
    const save = async (text: string) => {
      await page.goto(`/exo/webhooks/${id}/edit`)
      await page.getByLabel('Rate limit').fill(text)
      await page.getByRole('button', { name: 'Save changes' }).click()
      assert.equal(subscriptionIdOf(page), id)
    }

    await save('25')
    assert.equal(await storedLimit(), 25)
    assert.equal(await page.locator('#subscription-rate-limit').innerText(), '25 requests a second')
    await page.goto(`/exo/webhooks/${id}/edit`)
    assert.equal(await page.getByLabel('Rate limit').inputValue(), '25')

    // Another edit leaves it as it was
    await page.getByLabel('Description').fill('Throttled')
    await page.getByRole('button', { name: 'Save changes' }).click()
    assert.equal(await storedLimit(), 25)

    await save('')
    assert.isNull(await storedLimit())
    assert.equal(await page.locator('#subscription-rate-limit').innerText(), 'None')
  })

  test('the switch pauses, and enables with no failures', async ({ assert, client, cleanup }) => {
    const { page, id, api } = await withSubscription(cleanup, client)
    await page.goto('/exo/dashboard')
    const row = page.locator(`[data-subscription="${id}"]`)

    await row.getByRole('switch', { name: 'Pause API hook' }).click()
    const paused = await api()
    assert.isFalse(paused.body.is_active)
    assert.equal(await row.getByRole('switch').getAttribute('aria-checked'), 'false')
    assert.include(await row.innerText(), 'Paused')

    const stored = await WebhookSubscription.findOrFail(id)
    await stored.merge({ failureCount: 20, disabledReason: '20 failed attempts in a row' }).save()
    await page.reload()
    await row.getByRole('switch', { name: 'Enable API hook' }).click()
    const enabled = await api()
    assert.containsSubset(enabled.body, {
      is_active: true,
      failure_count: 0,
      disabled_at: null,
      disabled_reason: null,
    })
    assert.equal(await row.getByRole('switch').getAttribute('aria-checked'), 'true')
  })

  test('delete asks for a confirmation, then the API answers 404', async (context) => {
    const { assert, client, cleanup } = context
    const { page, id, api } = await withSubscription(cleanup, client)
    await page.goto(`/exo/webhooks/${id}`)
    await page.getByRole('link', { name: 'Delete…' }).click()

    assert.equal(pathOf(page), `/exo/webhooks/${id}/delete`)
    assert.isTrue(await page.getByRole('heading', { name: 'Delete “API hook”?' }).isVisible())
    const kept = await api()
    assert.equal(kept.status, 200)

    await page.getByRole('button', { name: 'Delete subscription' }).click()
    assert.equal(pathOf(page), '/exo/dashboard')
    assert.isTrue(await page.getByText('Subscription "API hook" deleted').isVisible())
    const deleted = await api()
    assert.equal(deleted.status, 404)
  })

  test('edit and delete work with method spoofing off', async ({ assert, client, cleanup }) => {
    const http = app.config.get<{ allowMethodSpoofing: boolean }>('app.http')
    http.allowMethodSpoofing = false
    cleanup(async () => {
      http.allowMethodSpoofing = true
    })
    const { page, id, api } = await withSubscription(cleanup, client)

    await page.goto(`/exo/webhooks/${id}/edit`)
    await page.getByLabel('Name', { exact: true }).fill('Spoofless')
    await page.getByRole('button', { name: 'Save changes' }).click()
    const edited = await api()
    assert.equal(edited.body.name, 'Spoofless')

    await page.goto(`/exo/webhooks/${id}/delete`)
    await page.getByRole('button', { name: 'Delete subscription' }).click()
    const deleted = await api()
    assert.equal(deleted.status, 404)
  })

  test('admins may list every user’s subscriptions', async ({ assert, client, cleanup }) => {
    const owner = await userWithToken()
    const body = subscriptionBody('https://example.com/hook', { name: "Owner's hook" })
    const { id } = await createdByApi(client, owner.token, body)

    const admin = await signedInUser(cleanup, { isAdmin: true })
    await admin.page.goto('/exo/dashboard')
    assert.equal(await admin.page.locator(`[data-subscription="${id}"]`).count(), 0)
    await admin.page.getByRole('link', { name: 'All users' }).click()
    const row = admin.page.locator(`[data-subscription="${id}"]`)
    assert.include(await row.innerText(), owner.user.email)
    await row.getByRole('link', { name: "Owner's hook" }).click()
    assert.equal(subscriptionIdOf(admin.page), id)

    const other = await openPage(cleanup)
    const { user } = await userWithToken()
    await signIn(other, user.email)
    await other.goto('/exo/dashboard?scope=all')
    assert.equal(await other.locator(`[data-subscription="${id}"]`).count(), 0)
    assert.isFalse(await other.getByRole('link', { name: 'All users' }).isVisible())
    const response = await other.goto(`/exo/webhooks/${id}`)
    assert.equal(response!.status(), 404)
  })
})
