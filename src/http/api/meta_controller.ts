import type { HttpContext } from '@adonisjs/core/http'
import { ApiNotFound } from './api_middleware.js'
import { currentUserId, exoManager } from './api_context.js'
import { openApiDocument } from './openapi.js'

export default class MetaController {
  async whoami(ctx: HttpContext) {
    const exo = await exoManager()
    const user = ctx.exoUser as any
    return {
      id: currentUserId(ctx),
      email: user.email,
      is_admin: exo.config.isAdmin(user) === true,
    }
  }

  async resources() {
    const exo = await exoManager()
    const resources = await exo.registry.all()
    return {
      data: [...resources.values()].map(({ name, triggers }) => ({ name, triggers })),
    }
  }

  async openapi() {
    const exo = await exoManager()
    return openApiDocument(exo.config.prefix.api)
  }

  async notFound(ctx: HttpContext) {
    throw new ApiNotFound(`Cannot ${ctx.request.method()} ${ctx.request.url()}`)
  }
}
