import type { HttpContext } from '@adonisjs/core/http'
import type { LucidRow } from '@adonisjs/lucid/types/model'
import { DateTime } from 'luxon'
import type { Exo } from '../../exo.js'
import type { FlashMessages } from '../../framework/framework.js'
import type { DashboardAssets } from './assets.js'
import { FormState } from './form_state.js'
import type { DashboardViews } from './views.js'

type NoticeType = 'success' | 'error' | 'info'

/**
 * What every dashboard page shares: its templates, its assets, the signed-in
 * user, and the one-off messages carried to the next page.
 */
export class Dashboard {
  constructor(
    readonly prefix: string,
    readonly views: DashboardViews,
    readonly assets: DashboardAssets,
    readonly flash: FlashMessages
  ) {}

  async render(ctx: HttpContext, view: string, state: Record<string, unknown> = {}, status = 200) {
    const html = await ctx.view.render(this.views.resolve(view), state)
    ctx.response.header('content-type', 'text/html; charset=utf-8')
    return ctx.response.status(status).send(html)
  }

  /**
   * The state every page's layout reads.
   */
  async share(ctx: HttpContext, exo: Exo) {
    const user = ctx.exoUser as (LucidRow & { email?: string }) | undefined
    ctx.view.share({
      dashboard: {
        user: user ? { id: Number(user.$primaryKeyValue), email: user.email } : null,
        isAdmin: user ? exo.config.isAdmin(user) === true : false,
        assets: await this.assets.urls(),
        notices: this.flash.get(ctx, 'exo_notices', []),
        csrfError: this.flash.get(ctx, 'errorsBag.E_BAD_CSRF_TOKEN', undefined),
        path: ctx.request.url(),
      },
      form: FormState.of(this.flash, ctx),
      formatTime,
      relativeTime,
      prettyJson,
      filterText,
      headerLines,
    })
  }

  notify(ctx: HttpContext, type: NoticeType, message: string) {
    const notices = this.flash.outgoing<unknown[]>(ctx, 'exo_notices', [])
    this.flash.set(ctx, 'exo_notices', [...notices, { type, message }])
  }

  /**
   * The page a form came from, when it is one of the dashboard's, else the
   * subscriptions list.
   */
  back(ctx: HttpContext) {
    const referrer = ctx.request.header('referer')
    if (referrer) {
      const url = new URL(referrer, 'http://host.invalid')
      const sameHost = url.host === 'host.invalid' || url.host === ctx.request.host()
      if (sameHost && url.pathname.startsWith(`${this.prefix}/`)) {
        return ctx.response.redirect(`${url.pathname}${url.search}`)
      }
    }
    return ctx.response.redirect().toRoute('exo.dashboard')
  }
}

export function formatTime(value: string | null | undefined) {
  if (!value) return ''
  return DateTime.fromISO(value, { zone: 'utc' }).toFormat("d LLL yyyy, HH:mm:ss 'UTC'")
}

export function relativeTime(value: string | null | undefined) {
  if (!value) return ''
  const time = DateTime.fromISO(value)
  if (Math.abs(time.diffNow().as('seconds')) < 45) return 'just now'
  return time.toRelative() ?? ''
}

/** JSON indented for reading; any other text as it is */
export function prettyJson(value: string | null | undefined) {
  if (!value) return ''
  try {
    return JSON.stringify(JSON.parse(value), null, 2)
  } catch {
    return value
  }
}

/** A subscription's filter as the form and its page show it: indented JSON, blank when none */
export function filterText(filter: unknown) {
  return filter === null || filter === undefined ? '' : JSON.stringify(filter, null, 2)
}

export function headerLines(headers: Record<string, string>) {
  return Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n')
}
