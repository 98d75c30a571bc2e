import { mkdir } from 'node:fs/promises'
import { chromium, type Browser, type Locator, type Page } from 'playwright-core'
import env from '#start/env'
import { userWithToken } from '#tests/helpers/api_fixtures'
import { createUser } from '#tests/helpers/fixtures'

/** Debian's Chromium: no browser download, the machine's own */
const CHROMIUM = '/usr/bin/chromium'
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

let launched: Promise<Browser> | undefined

/**
 * The run's one headless Chromium, started on first use.
 */
function browser() {
  launched ??= chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS })
  return launched
}

export async function closeBrowser() {
  const running = await launched
  await running?.close()
  launched = undefined
}

/** Where the test server listens (tests/bootstrap.ts starts it) */
export const baseUrl = `http://${env.get('HOST')}:${env.get('PORT')}`

/**
 * A page in a browser context of its own (its own cookies: a visitor of
 * its own), closed with the test. Script errors on the page fail the test.
 */
export async function openPage(
  cleanup: (fn: () => Promise<void>) => void,
  options: { javaScript?: boolean; width?: number; height?: number; dark?: boolean } = {}
): Promise<Page> {
  const running = await browser()
  const context = await running.newContext({
    baseURL: baseUrl,
    javaScriptEnabled: options.javaScript ?? true,
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    colorScheme: options.dark ? 'dark' : 'light',
  })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`))
  cleanup(async () => {
    await context.close()
    if (errors.length > 0) throw new Error(`Script errors on the pages: ${errors.join('; ')}`)
  })
  return page
}

/** The path of the page's URL */
export function pathOf(page: Page) {
  return new URL(page.url()).pathname
}

/**
 * Signs in at the dashboard's login form, as a person would.
 */
export async function signIn(page: Page, email: string, password = 'secret-password') {
  await page.goto('/exo/login')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

/**
 * A new user with an API token, signed in to the dashboard on a page of
 * their own: the page acts, the API (with the token) tells what changed.
 */
export async function signedInUser(
  cleanup: (fn: () => Promise<void>) => void,
  options: { isAdmin?: boolean; javaScript?: boolean } = {}
) {
  const { user, token } = await userWithToken({ isAdmin: options.isAdmin })
  const page = await openPage(cleanup, { javaScript: options.javaScript })
  await signIn(page, user.email)
  return { user, token, page }
}

/**
 * A new user (password `secret-password`) on a page of their own, signed out.
 */
export async function visitor(cleanup: (fn: () => Promise<void>) => void) {
  const user = await createUser()
  const page = await openPage(cleanup)
  return { user, page }
}

/**
 * Fills the new subscription form with a name, a URL and the ticked events
 * (`resource:trigger`), leaving it to the caller to submit.
 */
export async function fillNewSubscription(
  page: Page,
  fields: { name: string; url: string; events?: string[] }
) {
  await page.goto('/exo/webhooks/create')
  await page.getByLabel('Name', { exact: true }).fill(fields.name)
  await page.getByLabel('URL').fill(fields.url)
  const events = fields.events ?? ['order:on_create']
  if (events.length > 0) await page.getByLabel('Resource').selectOption(events[0].split(':')[0])
  for (const event of events) {
    const [resource, trigger] = event.split(':')
    await page.locator(`[data-events-of="${resource}"]`).getByLabel(trigger).check()
  }
}

/** The id of the subscription whose page is open */
export function subscriptionIdOf(page: Page) {
  const id = pathOf(page).match(/^\/exo\/webhooks\/(\d+)$/)?.[1]
  if (!id) throw new Error(`Not a subscription's page: ${page.url()}`)
  return Number(id)
}

/**
 * Saves a screenshot of the page, or of one element of it, under
 * $EXO_SCREENSHOTS (`npm run screenshots` sets it to docs/screenshots); does
 * nothing otherwise.
 */
export async function screenshot(
  target: Page | Locator,
  name: string,
  options = { fullPage: true }
) {
  const directory = process.env.EXO_SCREENSHOTS
  if (!directory) return
  await mkdir(directory, { recursive: true })
  const path = `${directory}/${name}.png`
  if ('goto' in target) await target.screenshot({ path, fullPage: options.fullPage })
  else await target.screenshot({ path })
}
