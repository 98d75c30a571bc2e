import { mkdir, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import { apiGet } from '#tests/helpers/api'
import { signedInUser } from '#tests/helpers/browser'

test.group('Dashboard | resources and views', () => {
  test('lists each resource and its triggers, as the API', async ({ assert, client, cleanup }) => {
    const { token, page } = await signedInUser(cleanup)
    await page.getByRole('link', { name: 'Resources' }).click()

    const api = await apiGet(client, token, '/resources')
    const resources = api.body.data as { name: string; triggers: string[] }[]
    assert.isAbove(resources.length, 1)
    assert.equal(await page.locator('[data-resource]').count(), resources.length)
    for (const { name, triggers } of resources) {
      const card = page.locator(`[data-resource="${name}"]`)
      assert.equal(await card.getByRole('heading').innerText(), name)
      assert.deepEqual(await card.locator('.chip').allInnerTexts(), triggers)
    }
    await page.locator('[data-resource="note"]').getByRole('link', { name: 'Subscribe' }).click()
    assert.equal(await page.getByLabel('Resource').inputValue(), 'note')
  })

  test('a host overrides one view at a time (vendor/exo)', async ({ assert, cleanup }) => {
    const override = app.viewsPath('vendor/exo/pages/resources.edge')
    await mkdir(dirname(override), { recursive: true })
    await writeFile(
      override,
      [
        "@component(exoView('layouts/app'), { title: 'Our resources' })",
        '  <p id="host-copy">The host app’s own resources page</p>',
        '@end',
      ].join('\n')
    )
    cleanup(() => rm(app.viewsPath('vendor'), { recursive: true, force: true }))

    const { page } = await signedInUser(cleanup)
    await page.goto('/exo/resources')
    assert.equal(await page.locator('#host-copy').innerText(), 'The host app’s own resources page')
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Our resources')
    assert.isTrue(
      await page.getByRole('link', { name: 'API tokens' }).isVisible(),
      "the package's layout"
    )

    await rm(override)
    await page.reload()
    assert.equal(await page.locator('#host-copy').count(), 0)
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Resources')
  })

  test('the package serves its CSS and script, cacheable', async ({ assert, cleanup }) => {
    const { page } = await signedInUser(cleanup)
    const href = await page.locator('link[rel=stylesheet]').getAttribute('href')
    assert.match(href!, /^\/exo\/assets\/exo\.css\?v=[0-9a-f]{12}$/)
    const css = await page.request.get(href!)
    assert.equal(css.status(), 200)
    assert.match(css.headers()['content-type'], /^text\/css/)
    assert.include(css.headers()['cache-control'], 'immutable')
    const src = await page.locator('script[src]').getAttribute('src')
    const js = await page.request.get(src!)
    assert.match(js.headers()['content-type'], /^text\/javascript/)
    const unknown = await page.request.get('/exo/assets/other.css')
    assert.equal(unknown.status(), 404)
    assert.notEqual(
      await page
        .locator('body')
        .evaluate((body) => (globalThis as any).getComputedStyle(body).backgroundColor),
      'rgba(0, 0, 0, 0)',
      'the stylesheet applies'
    )
  })
})
