import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import { apiGet, createdByApi } from '#tests/helpers/api'
import { deleteSubscriptions, subscriptionBody } from '#tests/helpers/api_fixtures'
import { fillNewSubscription, signedInUser } from '#tests/helpers/browser'
import { receiverFor } from '#tests/helpers/receiver'

async function subscription(client: ApiClient, token: string, id: number) {
  const { body } = await apiGet(client, token, `/webhooks/${id}`)
  return body
}

const MARKUP = '<script>window.__xss = 1; alert(1)</script><img src=x onerror="window.__xss = 2">'

test.group('Dashboard | CSRF and escaping', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('a form without its CSRF token changes nothing', async ({ assert, client, cleanup }) => {
    const { token, page } = await signedInUser(cleanup)
    const { id, masked_secret: maskedSecret } = await createdByApi(
      client,
      token,
      subscriptionBody('https://example.com/hook')
    )
    const before = await subscription(client, token, id)

    // The signed-in session's cookies go along; only the token is missing
    const forged = [
      [
        '/exo/webhooks',
        {
          'name': 'Forged',
          'url': 'https://evil.example/hook',
          'resource': 'order',
          'events[order][]': 'on_create',
        },
      ],
      [`/exo/webhooks/${id}/toggle`, {}],
      [`/exo/webhooks/${id}?_method=PUT`, { name: 'Forged', url: 'https://evil.example/hook' }],
      [`/exo/webhooks/${id}/rotate-secret`, {}],
      [`/exo/webhooks/${id}?_method=DELETE`, {}],
      ['/exo/tokens', { name: 'Forged token' }],
      ['/exo/logout', {}],
    ] as const
    for (const [path, form] of forged) {
      const response = await page.request.post(path, { form: { ...form }, maxRedirects: 0 })
      assert.notEqual(response.status(), 200, path)
      assert.isBelow(response.status(), 500, path)
    }

    assert.deepEqual(await subscription(client, token, id), before)
    assert.equal(before.masked_secret, maskedSecret)
    const list = await apiGet(client, token, '/webhooks')
    assert.lengthOf(list.body.data, 1)
    await page.goto('/exo/tokens')
    assert.equal(await page.locator('[data-token]').count(), 1, 'no token was created')
    assert.equal(new URL(page.url()).pathname, '/exo/tokens', 'still signed in')

    // A real form whose token was removed: refused, and the page says so
    await page.goto('/exo/dashboard')
    await page
      .locator(`[data-subscription="${id}"] input[name=_csrf]`)
      .evaluate((input) => input.remove())
    await page.locator(`[data-subscription="${id}"]`).getByRole('switch').click()
    assert.isTrue(await page.getByText('The form had expired, so nothing was changed').isVisible())
    const after = await subscription(client, token, id)
    assert.isTrue(after.is_active)
  })

  test('markup typed or answered is text, never run', async ({ assert, cleanup }) => {
    const receiver = await receiverFor(cleanup, { status: 500, body: MARKUP })
    const { page } = await signedInUser(cleanup)
    const dialogs: string[] = []
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message())
      dialog.dismiss().catch(() => {})
    })

    const name = `Hook ${MARKUP}`
    await fillNewSubscription(page, { name, url: receiver.url })
    await page.getByRole('button', { name: 'Create subscription' }).click()
    await page.getByRole('button', { name: 'Send ping' }).click()
    await page.locator('details.attempt summary').first().click()

    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), name)
    assert.isTrue(await page.locator('.response-body').getByText(MARKUP).isVisible())
    assert.equal(await page.locator('main img').count(), 0)
    assert.equal(await page.locator('main script').count(), 0)

    await page.goto('/exo/dashboard')
    assert.isTrue(await page.getByRole('link', { name }).isVisible())
    await fillNewSubscription(page, { name, url: 'not a url' })
    await page.getByRole('button', { name: 'Create subscription' }).click()
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), name)

    assert.isUndefined(await page.evaluate(() => (globalThis as any).__xss))
    assert.deepEqual(dialogs, [])
  })
})
