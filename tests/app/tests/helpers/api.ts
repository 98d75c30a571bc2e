import type { ApiClient } from '@japa/api-client'
import app from '@adonisjs/core/services/app'
import type User from '#models/user'

/**
 * A fresh Exo API token for `user`, as `node ace exo:token` makes one.
 */
export async function tokenFor(user: User, options: { expiresIn?: string; name?: string } = {}) {
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

/**
 * A GET on the API with a bearer token: the answer's status and JSON body.
 */
export async function apiGet(client: ApiClient, token: string, path: string) {
  const response = await client.get(await apiPath(path)).bearerToken(token)
  return { status: response.status(), body: response.body() }
}

/**
 * A subscription created through the API (201 asserted): its object with
 * the one-time `secret`.
 */
export async function createdByApi(client: ApiClient, token: string, body: object) {
  const response = await client
    .post(await apiPath('/webhooks'))
    .bearerToken(token)
    .json(body)
  response.assertStatus(201)
  return response.body() as { id: number; name: string; secret: string; masked_secret: string }
}
