import { test } from '@japa/runner'
import { Redis } from 'ioredis'
import type { Page } from 'playwright-core'
import env from '#start/env'
import { openPage, pathOf, signIn, visitor } from '#tests/helpers/browser'

async function sessionCookie(page: Page) {
  const cookies = await page.context().cookies()
  return cookies.find((cookie) => cookie.name === 'adonis-session')?.value
}

/** Submits the login form and returns the status of its answer */
async function signInStatus(page: Page, email: string, password: string) {
  const answer = page.waitForResponse(
    (response) => response.url().endsWith('/exo/login') && response.request().method() === 'POST'
  )
  await signIn(page, email, password)
  const response = await answer
  return response.status()
}

/**
 * Posts the login form as a client behind a proxy would, claiming the
 * address `forwardedFor` (the test server trusts loopback's X-Forwarded-For,
 * as a starter app does); returns the answer, its redirects not followed.
 */
async function signInFrom(page: Page, forwardedFor: string, email: string, password: string) {
  if (pathOf(page) !== '/exo/login') await page.goto('/exo/login')
  const csrf = await page.locator('input[name=_csrf]').inputValue()
  return page.request.post('/exo/login', {
    form: { _csrf: csrf, email, password },
    headers: { 'x-forwarded-for': forwardedFor },
    maxRedirects: 0,
  })
}

/** Where the dashboard sends the page now: the login when signed out */
async function dashboardLandsOn(page: Page) {
  await page.goto('/exo/dashboard')
  return pathOf(page)
}

test.group('Dashboard | signing in and out', () => {
  test('every page redirects to the login when signed out', async ({ assert, cleanup }) => {
    const page = await openPage(cleanup)
    const pages = [
      '/exo/dashboard',
      '/exo/webhooks/create',
      '/exo/webhooks/1',
      '/exo/webhooks/1/edit',
      '/exo/webhooks/1/delete',
      '/exo/tokens',
      '/exo/resources',
      '/exo/no-such-page',
    ]
    for (const path of pages) {
      const response = await page.request.get(path, { maxRedirects: 0 })
      assert.equal(response.status(), 302, path)
      assert.equal(response.headers().location, '/exo/login', path)
    }
    assert.equal(await dashboardLandsOn(page), '/exo/login')
  })

  test('a wrong password is refused, the email kept', async ({ assert, cleanup }) => {
    const { user, page } = await visitor(cleanup)
    await signIn(page, user.email, 'not-the-password')

    assert.equal(pathOf(page), '/exo/login')
    assert.isTrue(await page.getByText('The email or the password is wrong').isVisible())
    assert.equal(await page.getByLabel('Email').inputValue(), user.email)
    assert.equal(await page.getByLabel('Password').inputValue(), '')
    assert.notInclude(await page.content(), 'not-the-password')
    assert.equal(await dashboardLandsOn(page), '/exo/login')
  })

  test('a blank form names the missing fields', async ({ assert, cleanup }) => {
    const page = await openPage(cleanup)
    await page.goto('/exo/login')
    await page.getByRole('button', { name: 'Sign in' }).click()
    assert.equal(pathOf(page), '/exo/login')
    assert.equal(await page.getByLabel('Email').getAttribute('aria-invalid'), 'true')
    assert.match(await page.locator('#email-error').innerText(), /email/)
    assert.match(await page.locator('#password-error').innerText(), /password/)
  })

  test('the right password signs in, under a new session id', async ({ assert, cleanup }) => {
    const { user, page } = await visitor(cleanup)
    await page.goto('/exo/login')
    const before = await sessionCookie(page)
    assert.isString(before)

    await signIn(page, user.email)
    assert.equal(pathOf(page), '/exo/dashboard')
    assert.isTrue(await page.getByRole('banner').getByText(user.email).isVisible())
    const after = await sessionCookie(page)
    assert.isString(after)
    assert.notEqual(after, before, 'the session id changes on sign-in (no fixation)')
  })

  test('signing in leads to the page that was asked for', async ({ assert, cleanup }) => {
    const { user, page } = await visitor(cleanup)
    await page.goto('/exo/tokens')
    assert.equal(pathOf(page), '/exo/login')
    await page.getByLabel('Email').fill(user.email)
    await page.getByLabel('Password').fill('secret-password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    assert.equal(pathOf(page), '/exo/tokens')
  })

  test('failed sign-ins are limited per email and address', async ({ assert, cleanup }) => {
    const { user, page } = await visitor(cleanup)
    for (let attempt = 1; attempt <= 4; attempt++) {
      assert.equal(await signInStatus(page, user.email, `wrong-${attempt}`), 302, `${attempt}`)
      assert.isTrue(await page.getByText('The email or the password is wrong').isVisible())
    }
    assert.equal(await signInStatus(page, user.email, 'wrong-5'), 429)
    assert.isTrue(await page.getByText('Too many failed sign-ins').isVisible())
    assert.match(await page.getByRole('alert').innerText(), /blocked for 15 minutes/)

    // Blocked, the right password is refused too, and the answer says so
    assert.equal(await signInStatus(page, user.email, 'secret-password'), 429)
    assert.isTrue(await page.getByText('Too many failed sign-ins').isVisible())
    assert.equal(await dashboardLandsOn(page), '/exo/login')

    // The count is kept in Redis, for every web process to share
    const redis = new Redis({ host: '127.0.0.1', port: env.get('QUEUE_REDIS_PORT') })
    cleanup(() => redis.quit().then(() => {}))
    const keys = await redis.keys('exo:*login:*')
    assert.include(keys.join(' '), user.email.toLowerCase())

    // Another email from the same address is not blocked
    const other = await visitor(cleanup)
    await signIn(page, other.user.email)
    assert.equal(pathOf(page), '/exo/dashboard')
  })

  test('a new X-Forwarded-For for each guess does not reset the count', async ({
    assert,
    cleanup,
  }) => {
    const { user, page } = await visitor(cleanup)
    const statuses = []
    for (let guess = 1; guess <= 30; guess++) {
      const answer = await signInFrom(page, `198.51.100.${guess}`, user.email, `wrong-${guess}`)
      statuses.push(answer.status())
    }
    assert.deepEqual(statuses.slice(0, 9), Array(9).fill(302), 'the first 9 failures')
    assert.deepEqual(statuses.slice(9), Array(21).fill(429), 'the tenth locks the account')

    const right = await signInFrom(page, '203.0.113.7', user.email, 'secret-password')
    assert.equal(right.status(), 429, 'the right password, from yet another address')
    assert.isAbove(Number(right.headers()['retry-after']), 14 * 60)
    assert.equal(await dashboardLandsOn(page), '/exo/login')
  })

  test('a locked account stays locked from a new address', async ({ assert, cleanup }) => {
    const { user, page } = await visitor(cleanup)
    // 5 failures from the browser's own address block it there, 5 more from another lock the account
    for (let attempt = 1; attempt <= 5; attempt++) {
      await signInStatus(page, user.email, `wrong-${attempt}`)
    }
    for (let attempt = 6; attempt <= 10; attempt++) {
      await signInFrom(page, '198.51.100.1', user.email, `wrong-${attempt}`)
    }

    const answer = await signInFrom(page, '203.0.113.9', user.email, 'secret-password')
    assert.equal(answer.status(), 429)
    assert.include(await answer.text(), 'Too many failed sign-ins')
    assert.equal(await signInStatus(page, user.email, 'secret-password'), 429)
    assert.equal(await dashboardLandsOn(page), '/exo/login')
  })

  test('signing out ends the dashboard session', async ({ assert, cleanup }) => {
    const { user, page } = await visitor(cleanup)
    await signIn(page, user.email)
    await page.getByRole('button', { name: 'Sign out' }).click()

    assert.equal(pathOf(page), '/exo/login')
    assert.isTrue(await page.getByText('You are signed out').isVisible())
    assert.equal(await dashboardLandsOn(page), '/exo/login')
  })

  test("signing in at /exo leaves the host's guard signed out", async ({ assert, cleanup }) => {
    const { user, page } = await visitor(cleanup)
    await signIn(page, user.email)
    assert.equal(pathOf(page), '/exo/dashboard')

    const me = await page.request.get('/me', { headers: { accept: 'application/json' } })
    assert.equal(me.status(), 401)
  })

  test('signing into the host app leaves /exo signed out', async ({ assert, cleanup }) => {
    const { user, page } = await visitor(cleanup)
    await page.goto('/')
    const cookies = await page.context().cookies()
    const xsrf = cookies.find((cookie) => cookie.name === 'XSRF-TOKEN')
    const login = await page.request.post('/login', {
      form: { email: user.email, password: 'secret-password' },
      headers: { 'x-xsrf-token': xsrf!.value, 'accept': 'application/json' },
    })
    assert.equal(login.status(), 200)
    assert.deepEqual(await login.json(), { email: user.email }, 'signed into the host app')

    assert.equal(await dashboardLandsOn(page), '/exo/login')
    const me = await page.request.get('/me', { headers: { accept: 'application/json' } })
    assert.equal(me.status(), 200, 'still signed into the host app')
  })
})
