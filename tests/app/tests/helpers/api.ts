import app from '@adonisjs/core/services/app'
import type User from '#models/user'

/**
 * A fresh Exo API token for `user`, as `node ace exo:token` makes one.
 */
export async function tokenFor(user: User, options: { expiresIn?: string } = {}) {
  const exo = await app.container.make('exo.manager')
  const tokens = await exo.tokens()
  const token = await tokens.create(user, ['*'], { name: 'test', ...options })
  return { id: token.identifier, value: token.value!.release() }
}

/**
 * The API prefix, as config/exo.ts sets it.
 */
export async function apiPath(path: string) {
  const exo = await app.container.make('exo.manager')
  return `${exo.config.prefix.api}${path}`
}
