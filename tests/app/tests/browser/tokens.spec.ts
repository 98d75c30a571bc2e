import { test } from '@japa/runner'
import { apiGet } from '#tests/helpers/api'
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

  test('revoking a token makes the API refuse it', async ({ assert, client, cleanup }) => {
    const { token, page } = await signedInUser(cleanup)
    const before = await apiGet(client, token, '/whoami')
    assert.equal(before.status, 200)
    await page.goto('/exo/tokens')
    const row = page.locator('[data-token]', { hasText: 'test' })
    assert.equal(await row.count(), 1)

    await row.getByRole('button', { name: 'Revoke test' }).click()
    assert.isTrue(await page.getByText('Token revoked').isVisible())
    assert.equal(await page.locator('[data-token]').count(), 0)
    const after = await apiGet(client, token, '/whoami')
    assert.equal(after.status, 401)
  })

  test('a token needs a name', async ({ assert, cleanup }) => {
    const { page } = await signedInUser(cleanup)
    await page.goto('/exo/tokens')
    await page.getByRole('button', { name: 'Create token' }).click()
    assert.match(await page.locator('#token-name-error').innerText(), /name/)
    assert.equal(await page.locator('[data-token]').count(), 1, 'only the fixture token')
  })
})
