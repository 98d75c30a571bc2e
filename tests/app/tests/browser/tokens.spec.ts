import { test } from '@japa/runner'
import { apiGet } from '#tests/helpers/api'
import { userWithToken } from '#tests/helpers/api_fixtures'
import { signedInUser } from '#tests/helpers/browser'

test.group('Dashboard | API tokens', () => {
  test('a new token shows once and works on the API', async ({ assert, client, cleanup }) => {
    const { user, page } = await signedInUser(cleanup)
    await page.getByRole('link', { name: 'API tokens' }).click()
    await page.getByLabel('Name').fill('CI deploys')
    await page.getByLabel('Expires').selectOption('90 days')
    await page.getByRole('button', { name: 'Create token' }).click()

    assert.isTrue(await page.getByText('Token "CI deploys" created').isVisible())
    const token = await page.locator('.one-time input').inputValue()
    assert.match(token, /^exo_/)

    const whoami = await apiGet(client, token, '/whoami')
    assert.equal(whoami.status, 200)
    assert.equal(whoami.body.email, user.email)

    await page.reload()
    assert.notInclude(await page.content(), token)
    const row = page.locator('[data-token]', { hasText: 'CI deploys' })
    const cells = await row.locator('td').allInnerTexts()
    assert.equal(cells[0], 'CI deploys')
    assert.notEqual(cells[2], 'never', 'last used: the whoami request')
    assert.match(cells[3], /in 2 months|in 3 months/)
  })

  test('revoking a token asks first, without JavaScript, then the API refuses it', async ({
    assert,
    client,
    cleanup,
  }) => {
    const { token, page } = await signedInUser(cleanup, { javaScript: false })
    const before = await apiGet(client, token, '/whoami')
    assert.equal(before.status, 200)
    await page.goto('/exo/tokens')
    const row = page.locator('[data-token]', { hasText: 'test' })
    assert.equal(await row.count(), 1)

    await row.getByRole('link', { name: 'Revoke test' }).click()
    await page.waitForURL(/\/exo\/tokens\?revoke=/)
    assert.equal(await page.locator('h1').innerText(), 'Revoke test')
    assert.match(await page.locator('.danger-zone').innerText(), /refused from now on/)
    await page.getByRole('link', { name: 'Cancel' }).click()
    await page.waitForURL((url) => url.pathname === '/exo/tokens' && url.search === '')
    assert.equal(await row.count(), 1, 'cancelled: still there')
    const afterCancel = await apiGet(client, token, '/whoami')
    assert.equal(afterCancel.status, 200)

    await row.getByRole('link', { name: 'Revoke test' }).click()
    await page.getByRole('button', { name: 'Revoke token' }).click()
    await page.getByText('Token revoked').waitFor()
    assert.equal(await page.locator('[data-token]').count(), 0)
    const after = await apiGet(client, token, '/whoami')
    assert.equal(after.status, 401)
  })

  test('the revoke question is asked only of your own tokens', async ({ assert, cleanup }) => {
    const { page } = await signedInUser(cleanup)
    const other = await userWithToken()
    for (const id of [other.tokenId, 999_999_999]) {
      await page.goto(`/exo/tokens?revoke=${id}`)
      assert.equal(await page.locator('h1').innerText(), 'API tokens')
      assert.equal(await page.getByRole('button', { name: 'Revoke token' }).count(), 0)
    }
  })

  test('a token needs a name', async ({ assert, cleanup }) => {
    const { page } = await signedInUser(cleanup)
    await page.goto('/exo/tokens')
    await page.getByRole('button', { name: 'Create token' }).click()
    assert.match(await page.locator('#token-name-error').innerText(), /name/)
    assert.equal(await page.locator('[data-token]').count(), 1, 'only the fixture token')
  })
})
