import type { ApiClient } from '@japa/api-client'
import exo from 'adonis-exo/services/main'
import type User from '#models/user'

/**
 * A fresh Exo API token for `user`, as `node ace exo:token` makes one.
 */
export async function tokenFor(user: User, options: { expiresIn?: string; name?: string } = {}) {
  const tokens = await exo.tokens()
  const token = await tokens.create(user, ['*'], { name: 'test', ...options })
  return { id: token.identifier, value: token.value!.release() }
}

/**
 * The API prefix, as config/exo.ts sets it.
 */
export function apiPath(path: string) {
  return `${exo.config.prefix.api}${path}`
}

/**
 * Requests to the Exo API under its prefix, bearing `token` when one is
 * given. Each returns the pending request, so `.json()`, `.qs()`… chain on.
 */
export function exoApi(client: ApiClient, token?: string) {
  const request = (method: string, path: string) => {
    const pending = client.request(apiPath(path), method)
    return token === undefined ? pending : pending.bearerToken(token)
  }
  return {
    request,
    get: (path: string) => request('GET', path),
    post: (path: string) => request('POST', path),
    put: (path: string) => request('PUT', path),
    patch: (path: string) => request('PATCH', path),
    delete: (path: string) => request('DELETE', path),
  }
}

export type ExoApi = ReturnType<typeof exoApi>

/**
 * A GET on the API with a bearer token: the answer's status and JSON body.
 */
export async function apiGet(client: ApiClient, token: string, path: string) {
  const response = await client.get(apiPath(path)).bearerToken(token)
  return { status: response.status(), body: response.body() }
}

/**
 * A subscription created through the API (201 asserted): its object with
 * the one-time `secret`.
 */
export async function createdByApi(client: ApiClient, token: string, body: object) {
  const response = await client.post(apiPath('/webhooks')).bearerToken(token).json(body)
  response.assertStatus(201)
  return response.body() as { id: number; name: string; secret: string; masked_secret: string }
}
