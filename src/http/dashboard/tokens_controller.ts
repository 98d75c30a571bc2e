import type { Exo } from '../../exo.js'
import type { HttpContext } from '@adonisjs/core/http'
import vine from '@vinejs/vine'
import { ApiNotFound } from '../api/api_middleware.js'
import type { Dashboard } from './dashboard.js'

/** Lifetimes a new token may get; none means it never expires */
const LIFETIMES = ['30 days', '90 days', '1 year'] as const

const createTokenValidator = vine.compile(
  vine.object({
    name: vine.string().trim().minLength(1).maxLength(100),
    expires_in: vine.enum(LIFETIMES).optional(),
  })
)

/**
 * The signed-in user's API tokens: listed, created (the value shown once),
 * revoked. They live in the package's own table, as `exo:token` makes them.
 */
export default class TokensController {
  constructor(
    private dashboard: Dashboard,
    private exo: Exo
  ) {}

  async index(ctx: HttpContext) {
    const tokens = await this.exo.tokens()
    const list = await tokens.all(ctx.exoUser!)
    return this.dashboard.render(ctx, 'pages/tokens', {
      tokens: list.map((token) => ({
        id: String(token.identifier),
        name: token.name,
        created_at: token.createdAt.toISOString(),
        last_used_at: token.lastUsedAt?.toISOString() ?? null,
        expires_at: token.expiresAt?.toISOString() ?? null,
      })),
      lifetimes: LIFETIMES,
      // Shown once, right after it was created
      newToken: this.dashboard.flash.get(ctx, 'exo_token', null),
    })
  }

  async store(ctx: HttpContext) {
    const { name, expires_in: expiresIn } = await createTokenValidator.validate(ctx.request.body())
    const tokens = await this.exo.tokens()
    const token = await tokens.create(ctx.exoUser!, ['*'], { name, expiresIn })
    this.dashboard.flash.set(ctx, 'exo_token', token.value!.release())
    this.dashboard.notify(ctx, 'success', `Token "${name}" created`)
    return ctx.response.redirect().toRoute('exo.tokens')
  }

  async destroy(ctx: HttpContext) {
    const tokens = await this.exo.tokens()
    const deleted = await tokens.delete(ctx.exoUser!, ctx.params.id)
    if (deleted === 0) throw new ApiNotFound('No token of yours has this id')
    this.dashboard.notify(
      ctx,
      'success',
      'Token revoked: requests using it are refused from now on'
    )
    return ctx.response.redirect().toRoute('exo.tokens')
  }
}
