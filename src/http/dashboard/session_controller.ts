import type { Exo } from '../../exo.js'
import { errors as authErrors } from '@adonisjs/auth'
import type { HttpContext } from '@adonisjs/core/http'
import vine from '@vinejs/vine'
import type { Dashboard } from './dashboard.js'
import { INTENDED_URL_KEY } from './dashboard_action.js'
import { flashForm } from './form_state.js'

const loginValidator = vine.compile(
  vine.object({
    email: vine.string().trim().minLength(1).maxLength(254),
    password: vine.string().minLength(1).maxLength(1000),
  })
)

/**
 * Signing in and out of the dashboard, on the package's own session guard.
 */
export default class SessionController {
  constructor(
    private dashboard: Dashboard,
    private exo: Exo
  ) {}

  async show(ctx: HttpContext) {
    if (ctx.exoUser) return ctx.response.redirect().toRoute('exo.dashboard')
    return this.dashboard.render(ctx, 'pages/login')
  }

  async store(ctx: HttpContext) {
    const { email, password } = await loginValidator.validate(ctx.request.all())
    // X-Forwarded-For's when the host trusts the proxy (config/app.ts `http.trustProxy`):
    // only the per-address limits depend on it
    const ip = ctx.request.ip()

    const User = await this.exo.userModel()
    const [throttle, user] = await this.exo.loginLimiter.penalize(email, ip, async () => {
      try {
        return await User.verifyCredentials(email, password)
      } catch (error) {
        if (error instanceof authErrors.E_INVALID_CREDENTIALS) return null
        throw error
      }
    })
    if (throttle) return this.#tooManyAttempts(ctx, throttle.retryAfter)
    if (!user) {
      flashForm(this.dashboard.flash, ctx, [
        { field: 'form', message: 'The email or the password is wrong' },
      ])
      return ctx.response.redirect().toRoute('exo.login')
    }

    // The guard also gives the session a new id: no session fixation
    await this.exo.auth.createAuthenticator(ctx).use('exo_web').login(user)
    const intended = ctx.session.pull(INTENDED_URL_KEY)
    return typeof intended === 'string' && intended.startsWith(`${this.dashboard.prefix}/`)
      ? ctx.response.redirect(intended)
      : ctx.response.redirect().toRoute('exo.dashboard')
  }

  async destroy(ctx: HttpContext) {
    await this.exo.auth.createAuthenticator(ctx).use('exo_web').logout()
    ctx.session.regenerate()
    this.dashboard.notify(ctx, 'info', 'You are signed out')
    return ctx.response.redirect().toRoute('exo.login')
  }

  #tooManyAttempts(ctx: HttpContext, retryAfterSeconds: number) {
    const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60))
    ctx.response.header('retry-after', String(retryAfterSeconds))
    return this.dashboard.render(ctx, 'pages/login', { tooManyAttempts: { minutes } }, 429)
  }
}
