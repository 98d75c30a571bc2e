import { readFileSync } from 'node:fs'

let document: Record<string, any> | undefined

/**
 * The OpenAPI 3.1 description of the API, shipped with the package, with
 * its server URL set to the configured prefix.
 */
export function openApiDocument(prefix: string) {
  document ??= JSON.parse(
    readFileSync(new URL('../../../resources/openapi.json', import.meta.url), 'utf8')
  )
  return { ...document, servers: [{ url: prefix }] }
}
