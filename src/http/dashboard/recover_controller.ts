import type { HttpContext } from '@adonisjs/core/http'
import { errors as vineErrors } from '@vinejs/vine'
import { DateTime } from 'luxon'
import type { Exo } from '../../exo.js'
import { serializeSubscription } from '../api/serializers.js'
import { recoverValidator } from '../api/validators.js'
import type { Dashboard } from './dashboard.js'
import { dashboardSubscription } from './dashboard_context.js'
import { FormState } from './form_state.js'
import { text } from './subscription_form.js'

/** The windows a user picks in one click, up to now */
const RECENT_WINDOWS = {
  '1h': { hours: 1 },
  '24h': { hours: 24 },
  '7d': { days: 7 },
} as const

/** A time as a `datetime-local` input shows it, in UTC */
function localInput(time: DateTime) {
  return time.toUTC().toFormat("yyyy-MM-dd'T'HH:mm:ss")
}

/**
 * The window the query names: a recent one (`window=24h`), or `since` and
 * `until` as typed (UTC). A window up to now ends at the next whole second,
 * so that the count and the recovery confirmed later cover the same attempts.
 */
function windowOf(qs: Record<string, unknown>) {
  const now = DateTime.utc().plus({ seconds: 1 }).startOf('second')
  const recent = typeof qs.window === 'string' ? qs.window : ''
  if (Object.hasOwn(RECENT_WINDOWS, recent)) {
    const since = now.minus(RECENT_WINDOWS[recent as keyof typeof RECENT_WINDOWS])
    return { since: localInput(since), until: localInput(now) }
  }
  return { since: text(qs.since), until: text(qs.until) ?? localInput(now) }
}

/**
 * Recovering a subscription's failed events: a page that counts what a
 * window would send again (a dry run), then the confirmed recovery.
 */
export default class RecoverController {
  constructor(
    private dashboard: Dashboard,
    private exo: Exo
  ) {}

  async show(ctx: HttpContext) {
    const subscription = await dashboardSubscription(this.exo, ctx)
    const qs = ctx.request.qs()
    const page = { subscription: serializeSubscription(subscription), values: {}, matched: null }
    if (qs.window === undefined && qs.since === undefined) {
      return this.dashboard.render(ctx, 'pages/webhooks/recover', page)
    }
    const window = windowOf(qs)
    try {
      const checked = await recoverValidator.validate(window)
      const matched = await this.exo.subscriptions.recover(subscription, checked, { dryRun: true })
      return this.dashboard.render(ctx, 'pages/webhooks/recover', {
        ...page,
        values: window,
        matched,
      })
    } catch (error) {
      if (!(error instanceof vineErrors.E_VALIDATION_ERROR)) throw error
      const form = FormState.invalid(window, error.messages)
      return this.dashboard.render(
        ctx,
        'pages/webhooks/recover',
        { ...page, values: window, form },
        422
      )
    }
  }

  async store(ctx: HttpContext) {
    const subscription = await dashboardSubscription(this.exo, ctx)
    const body = ctx.request.body()
    const window = await recoverValidator.validate({
      since: text(body.since),
      until: text(body.until),
    })
    const queued = await this.exo.subscriptions.recover(subscription, window)
    this.dashboard.notify(
      ctx,
      'success',
      queued === 1 ? '1 failed event queued again' : `${queued} failed events queued again`
    )
    return ctx.response.redirect().toRoute('exo.webhooks.show', { id: subscription.id })
  }
}
