import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import type { APIRequestContext, Page } from 'playwright-core'
import { exoApi } from '#tests/helpers/api'
import { deleteSubscriptions, subscriptionBody, userWithToken } from '#tests/helpers/api_fixtures'
import { openPage, signIn } from '#tests/helpers/browser'

type Actor = 'owner' | 'other user' | 'admin' | 'anonymous' | 'API token only'

const SIGNED_OUT = 'login'

/**
 * What each actor gets on each dashboard page: a status, or `login` for a
 * redirect to the sign-in page. Admins may open any user's subscription in
 * the dashboard; other users get a 404.
 */
function pages(id: number): [string, Record<Actor, number | typeof SIGNED_OUT>][] {
  const everyone = {
    'owner': 200,
    'other user': 200,
    'admin': 200,
    'anonymous': SIGNED_OUT,
    'API token only': SIGNED_OUT,
  } as const
  const ownerAndAdmin = { ...everyone, 'other user': 404 } as const
  return [
    ['/exo/dashboard', everyone],
    ['/exo/dashboard?scope=all', everyone],
    ['/exo/webhooks/create', everyone],
    ['/exo/tokens', everyone],
    ['/exo/resources', everyone],
    [`/exo/webhooks/${id}`, ownerAndAdmin],
    [`/exo/webhooks/${id}/edit`, ownerAndAdmin],
    [`/exo/webhooks/${id}/delete`, ownerAndAdmin],
  ]
}

/** The forms that change a subscription, as the dashboard posts them */
function actions(id: number): [string, Record<string, string>][] {
  return [
    [`/exo/webhooks/${id}/toggle`, {}],
    [`/exo/webhooks/${id}/ping`, {}],
    [`/exo/webhooks/${id}/rotate-secret`, {}],
    [`/exo/webhooks/${id}/replay`, { since: '2020-01-01T00:00:00Z' }],
    [`/exo/webhooks/${id}?_method=PUT`, { name: 'taken over', url: 'https://example.com/x' }],
    [`/exo/webhooks/${id}?_method=DELETE`, {}],
  ]
}

async function outcome(request: APIRequestContext, path: string) {
  const response = await request.get(path, { maxRedirects: 0 })
  const location = response.headers()['location'] ?? ''
  return response.status() === 302 && location.includes('/exo/login')
    ? SIGNED_OUT
    : response.status()
}

/** The CSRF token of a page's forms, as the actor's session holds it */
async function csrfToken(page: Page) {
  await page.goto('/exo/dashboard')
  return page.locator('input[name=_csrf]').first().getAttribute('value')
}

/**
 * An owner with a subscription made through the API, and another user.
 */
async function ownerAndOther(client: ApiClient) {
  const owner = await userWithToken()
  const other = await userWithToken()
  const api = exoApi(client, owner.token)
  const created = await api.post('/webhooks').json(subscriptionBody('https://example.com/hook'))
  return { owner, other, api, id: created.body().id as number }
}

test.group('Security | dashboard authorization matrix', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('every page answers owner, other user, admin, anonymous and a bare API token', async ({
    assert,
    client,
    cleanup,
  }) => {
    const { owner, other, id } = await ownerAndOther(client)
    const admin = await userWithToken({ isAdmin: true })

    const contexts: Record<Actor, Page> = {
      'owner': await openPage(cleanup),
      'other user': await openPage(cleanup),
      'admin': await openPage(cleanup),
      'anonymous': await openPage(cleanup),
      'API token only': await openPage(cleanup),
    }
    await signIn(contexts.owner, owner.user.email)
    await signIn(contexts['other user'], other.user.email)
    await signIn(contexts.admin, admin.user.email)
    await contexts['API token only'].context().setExtraHTTPHeaders({
      authorization: `Bearer ${owner.token}`,
    })

    let rows = 0
    for (const [path, expected] of pages(id)) {
      for (const [actor, page] of Object.entries(contexts) as [Actor, Page][]) {
        assert.equal(await outcome(page.request, path), expected[actor], `${path} as ${actor}`)
        rows++
      }
    }
    console.log(`Dashboard authorization matrix: ${rows} page rows`)
  })

  test('no one but the owner or an admin changes a subscription', async ({
    assert,
    client,
    cleanup,
  }) => {
    const { other, api, id } = await ownerAndOther(client)
    const show = () => api.get(`/webhooks/${id}`)
    const before = await show()

    const otherPage = await openPage(cleanup)
    await signIn(otherPage, other.user.email)
    const anonymous = await openPage(cleanup)
    const actors: [string, Page, string | null][] = [
      ['other user', otherPage, await csrfToken(otherPage)],
      ['anonymous', anonymous, null],
    ]
    for (const [actor, page, csrf] of actors) {
      for (const [path, form] of actions(id)) {
        const response = await page.request.post(path, {
          form: csrf ? { ...form, _csrf: csrf } : form,
          maxRedirects: 0,
        })
        // With a valid token another user meets a 404; without one, shield refuses
        // the post before any route runs (a redirect back, as the host configures it)
        const status = response.status()
        if (csrf) assert.equal(status, 404, `${path} as ${actor}`)
        else assert.oneOf(status, [302, 403], `${path} as ${actor}`)
      }
    }

    const after = await show()
    assert.deepEqual(after.body(), before.body(), 'the subscription is as it was')
    const attempts = await api.get(`/webhooks/${id}/deliveries`)
    assert.deepEqual(attempts.body().data, [], 'no ping, replay or redelivery was sent')
  })
})
