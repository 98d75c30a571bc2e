import type { Exo } from '../../exo.js'
import type { HttpContext } from '@adonisjs/core/http'
import { ApiNotFound } from './api_middleware.js'
import { currentUserId } from './api_context.js'
import { openApiDocument } from './openapi.js'

export default class MetaController {
  constructor(private exo: Exo) {}

  async whoami(ctx: HttpContext) {
    const user = ctx.exoUser as any
    return {
      id: currentUserId(ctx),
      email: user.email,
      is_admin: this.exo.config.isAdmin(user) === true,
    }
  }

  async resources() {
    const resources = await this.exo.registry.all()
    return {
      data: [...resources.values()].map(({ name, triggers, events }) => ({
        name,
        triggers,
        events,
      })),
    }
  }

  async eventTypes() {
    return { data: await this.exo.eventTypes() }
  }

  async openapi() {
    return openApiDocument(this.exo.config.prefix.api, await this.exo.eventTypes())
  }

  async notFound(ctx: HttpContext) {
    throw new ApiNotFound(`Cannot ${ctx.request.method()} ${ctx.request.url()}`)
  }
}
