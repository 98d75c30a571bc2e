import { mkdir, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import { apiGet, apiPath } from '#tests/helpers/api'
import { signedInUser } from '#tests/helpers/browser'

test.group('Dashboard | resources and views', () => {
  test('lists each resource and its events, as the API', async ({ assert, client, cleanup }) => {
    const { token, page } = await signedInUser(cleanup)
    await page.getByRole('link', { name: 'Resources' }).click()

    const api = await apiGet(client, token, '/resources')
    const resources = api.body.data as { name: string; events: string[] }[]
    assert.isAbove(resources.length, 1)
    assert.equal(await page.locator('[data-resource]').count(), resources.length)
    for (const { name, events } of resources) {
      const card = page.locator(`[data-resource="${name}"]`)
      assert.equal(await card.getByRole('heading').innerText(), name)
      assert.deepEqual(await card.locator('.chip').allInnerTexts(), events)
    }
    await page.locator('[data-resource="note"]').getByRole('link', { name: 'Subscribe' }).click()
    assert.equal(await page.getByLabel('Resource').inputValue(), 'note')
  })

  test('the catalog, the Resources page and the OpenAPI webhooks agree', async ({
    assert,
    client,
    cleanup,
  }) => {
    const { token, page } = await signedInUser(cleanup)
    const eventTypes = await apiGet(client, token, '/event-types')
    const catalog = eventTypes.body.data as any[]
    const fromApi = Object.fromEntries(
      catalog.map((type) => [`${type.resource}.${type.event}`, type.schema])
    )
    assert.includeMembers(Object.keys(fromApi), [
      'order.on_create',
      'order.shipped',
      'note.on_delete',
    ])

    await page.goto('/exo/resources')
    const shown = await page
      .locator('[data-event-type]')
      .evaluateAll((types) =>
        types.map((type) => [
          type.getAttribute('data-event-type'),
          type.querySelector('[data-schema]')!.textContent,
          type.querySelector('[data-example]')!.textContent,
        ])
      )
    const fromPage = Object.fromEntries(shown.map(([key, schema]) => [key, JSON.parse(schema!)]))
    assert.deepEqual(fromPage, fromApi)
    const examples = Object.fromEntries(
      shown.map(([key, , example]) => [key, JSON.parse(example!)])
    )
    assert.deepEqual(
      examples,
      Object.fromEntries(catalog.map((type) => [`${type.resource}.${type.event}`, type.example]))
    )

    const served = await client.get(apiPath('/openapi.json'))
    const document = served.body()
    const fromOpenApi = Object.fromEntries(
      Object.entries<any>(document.webhooks).map(([key, item]) => [
        key,
        item.post.requestBody.content['application/json'].schema.properties.data,
      ])
    )
    assert.deepEqual(fromOpenApi, fromApi)
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
