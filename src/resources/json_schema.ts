import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import type { JsonSchema } from '../types.js'

/**
 * JSON Schema 2020-12, the dialect of OpenAPI 3.1. Not strict: a host's
 * schema may carry keywords of its own (`example`, `x-…`) and formats this
 * package does not check.
 */
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: false })

/**
 * What makes `schema` unusable, or null.
 */
export function schemaProblem(schema: JsonSchema): string | null {
  if (ajv.validateSchema(schema) as boolean) return null
  return describeErrors(ajv.errors, 'schema')
}

export function compileSchema(schema: JsonSchema): ValidateFunction {
  return ajv.compile(schema)
}

/**
 * Errors as paths into the checked value: `data.total: must be integer`.
 */
export function describeErrors(errors: ErrorObject[] | null | undefined, root: string) {
  return (errors ?? [])
    .map((error) => {
      const path = error.instancePath
        .split('/')
        .slice(1)
        .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
      return `${[root, ...path].join('.')}: ${error.message}`
    })
    .join('; ')
}
