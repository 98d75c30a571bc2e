import type { ApiClient } from '@japa/api-client'
import exo from 'adonis-exo/services/main'
import type User from '#models/user'

/**
 * A fresh Exo API token for `user`, as `node ace exo:token` makes one.
 */
export async function tokenFor(user: User, options: { expiresIn?: string } = {}) {
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
