import { test } from '@japa/runner'
import { exoApi } from '#tests/helpers/api'
import { deleteSubscriptions, subscriptionBody, userWithToken } from '#tests/helpers/api_fixtures'
import { openPage, signIn } from '#tests/helpers/browser'
import { startReceiver } from '#tests/helpers/receiver'

const PAYLOAD = `<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>`

test.group('Security | everything users typed or receivers answered is text', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('a payload in every user- and receiver-controlled field is shown as text', async ({
    assert,
    client,
    cleanup,
  }) => {
    const receiver = await startReceiver({
      status: 500,
      headers: { 'x-receiver-says': PAYLOAD.replaceAll('"', "'") },
      body: PAYLOAD,
      cleanup,
    })
    const { user, token } = await userWithToken()
    const api = exoApi(client, token)
    const created = await api.post('/webhooks').json(
      subscriptionBody(`${receiver.url}?q=${encodeURIComponent(PAYLOAD)}`, {
        name: PAYLOAD,
        description: PAYLOAD,
        headers: { 'X-Custom': PAYLOAD.replaceAll('"', "'") },
        secret_header: { name: 'X-Shared', value: PAYLOAD.replaceAll('"', "'") },
        metadata: { note: PAYLOAD },
      })
    )
    created.assertStatus(201)
    const id = created.body().id
    const ping = await api.post(`/webhooks/${id}/ping`)
    ping.assertStatus(502)

    const page = await openPage(cleanup)
    await signIn(page, user.email)
    for (const path of ['/exo/dashboard', `/exo/webhooks/${id}`, `/exo/webhooks/${id}/edit`]) {
      await page.goto(path)
      // Open every attempt, so the response is rendered as a person sees it
      for (const details of await page.locator('details').all()) await details.click()
      const html = await page.content()
      assert.notInclude(html, '<script>window.__xss', path)
      assert.notInclude(html, '<img src=x', path)
      assert.isUndefined(await page.evaluate(() => (globalThis as any).__xss), path)
    }
    await page.goto(`/exo/webhooks/${id}`)
    const text = await page.locator('body').innerText()
    assert.include(text, PAYLOAD, 'the name and the receiver’s answer read as typed')
  })
})
