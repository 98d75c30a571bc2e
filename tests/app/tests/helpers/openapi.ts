import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { createConfig, lintFromString } from '@redocly/openapi-core'
import app from '@adonisjs/core/services/app'

const DOCUMENT_ID = 'https://adonis-exo.local/openapi.json'
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const

export type OpenApiDocument = Record<string, any>

/** A JSON pointer segment, escaped for a URI fragment */
function pointerSegment(segment: string) {
  return encodeURIComponent(segment.replaceAll('~', '~0').replaceAll('/', '~1'))
}

function formatErrors(errors: ErrorObject[] | null | undefined) {
  return (errors ?? [])
    .map(
      (error) =>
        `  ${error.instancePath || '(root)'} ${error.message} ${JSON.stringify(error.params)}`
    )
    .join('\n')
}

/**
 * Checks real answers of the API against its OpenAPI document: the document
 * is added to ajv as one schema, and each response schema is compiled as a
 * `$ref` into it, so `#/components/schemas/...` resolve as in the document.
 */
export class OpenApiValidator {
  readonly ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false })
  readonly #compiled = new Map<string, ValidateFunction>()
  readonly prefix: string

  constructor(readonly document: OpenApiDocument) {
    addFormats.default(this.ajv)
    // OpenAPI's own keywords: in schema objects, and those of the document
    // itself, which ajv sees as the root schema
    this.ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs'])
    this.ajv.addVocabulary(['openapi', 'info', 'jsonSchemaDialect', 'servers', 'security'])
    this.ajv.addVocabulary(['tags', 'paths', 'components', 'webhooks'])
    this.ajv.addSchema({ ...document, $id: DOCUMENT_ID })
    this.prefix = document.servers?.[0]?.url ?? ''
  }

  /**
   * The document's path for a route pattern, given as AdonisJS writes it
   * (`/exo-api/webhooks/:id`) or as OpenAPI does (`/webhooks/{id}`).
   */
  pathOf(route: string) {
    let path = route.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}')
    if (this.prefix && path.startsWith(`${this.prefix}/`)) path = path.slice(this.prefix.length)
    return path
  }

  operation(method: string, route: string) {
    const path = this.pathOf(route)
    const operation = this.document.paths?.[path]?.[method.toLowerCase()]
    if (!operation) throw new Error(`The OpenAPI document has no operation ${method} ${path}`)
    return { path, operation }
  }

  /**
   * The validator of the JSON body of `status` for the operation, or null
   * when the document gives that status no body.
   */
  responseValidator(method: string, route: string, status: number) {
    const { path, operation } = this.operation(method, route)
    let response = operation.responses?.[String(status)]
    let pointer = ['paths', path, method.toLowerCase(), 'responses', String(status)]
    if (!response) {
      throw new Error(
        `${method.toUpperCase()} ${path} answered ${status}, a status the OpenAPI document does not list (it lists ${Object.keys(operation.responses ?? {}).join(', ')})`
      )
    }
    if (response.$ref) {
      pointer = response.$ref.slice(2).split('/')
      response = this.resolve(response.$ref)
    }
    const schema = response.content?.['application/json']?.schema
    if (!schema) return null
    pointer.push('content', 'application/json', 'schema')
    const ref = `${DOCUMENT_ID}#/${pointer.map(pointerSegment).join('/')}`
    let validate = this.#compiled.get(ref)
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref })
      this.#compiled.set(ref, validate)
    }
    return validate
  }

  /**
   * Throws, with ajv's errors, unless `body` is what the document says
   * `method route` answers with `status`.
   */
  validateResponse(method: string, route: string, status: number, body: unknown) {
    const validate = this.responseValidator(method, route, status)
    if (validate === null) {
      const empty =
        body === undefined ||
        body === '' ||
        (typeof body === 'object' && body !== null && Object.keys(body).length === 0)
      if (!empty) {
        throw new Error(
          `${method.toUpperCase()} ${route} ${status} has no body in the document, got ${JSON.stringify(body)}`
        )
      }
      return
    }
    if (!validate(body)) {
      throw new Error(
        `${method.toUpperCase()} ${route} ${status}: the body does not match the OpenAPI document\n` +
          `${formatErrors(validate.errors)}\nbody: ${JSON.stringify(body, null, 2)}`
      )
    }
  }

  /**
   * Validates `value` against the request body of the `webhooks` entry
   * `key` (`order.shipped`): what a receiver of that event gets.
   */
  validateWebhook(key: string, value: unknown) {
    if (!this.document.webhooks?.[key]) throw new Error(`No webhook ${key} in the OpenAPI document`)
    const pointer = ['webhooks', key, 'post', 'requestBody', 'content', 'application/json']
    const ref = `${DOCUMENT_ID}#/${[...pointer, 'schema'].map(pointerSegment).join('/')}`
    let validate = this.#compiled.get(ref)
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref })
      this.#compiled.set(ref, validate)
    }
    return { valid: validate(value) as boolean, errors: formatErrors(validate.errors) }
  }

  /** Validates `value` against `#/components/schemas/<name>` */
  validateSchema(name: string, value: unknown) {
    const validate = this.ajv.getSchema(
      `${DOCUMENT_ID}#/components/schemas/${pointerSegment(name)}`
    )
    if (!validate) throw new Error(`No schema ${name} in the OpenAPI document`)
    return { valid: validate(value) as boolean, errors: formatErrors(validate.errors) }
  }

  resolve(ref: string): any {
    if (!ref.startsWith('#/')) throw new Error(`Only local references are supported: ${ref}`)
    return ref
      .slice(2)
      .split('/')
      .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
      .reduce((node: any, segment) => node?.[segment], this.document)
  }

  /**
   * What is structurally wrong with the document as OpenAPI 3.1, and which
   * of `routes` (method and AdonisJS pattern) it does not describe.
   */
  problems(routes: { method: string; pattern: string }[] = []) {
    const problems: string[] = []
    const doc = this.document
    if (typeof doc.openapi !== 'string' || !/^3\.1\.\d+$/.test(doc.openapi)) {
      problems.push(`openapi must be 3.1.x, got ${doc.openapi}`)
    }
    if (typeof doc.info?.title !== 'string' || typeof doc.info?.version !== 'string') {
      problems.push('info.title and info.version must be strings')
    }
    if (!doc.paths || typeof doc.paths !== 'object') problems.push('paths must be an object')
    for (const [name, scheme] of Object.entries<any>(doc.components?.securitySchemes ?? {})) {
      if (!scheme.type) problems.push(`securityScheme ${name} has no type`)
    }
    for (const requirement of doc.security ?? []) {
      for (const name of Object.keys(requirement)) {
        if (!doc.components?.securitySchemes?.[name])
          problems.push(`unknown security scheme ${name}`)
      }
    }

    const operationIds = new Set<string>()
    for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
      if (!path.startsWith('/')) problems.push(`path ${path} must start with /`)
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1])
      const operations = METHODS.filter((method) => item[method])
      if (operations.length === 0) problems.push(`${path} has no operation`)
      for (const method of operations) {
        const operation = item[method]
        const where = `${method.toUpperCase()} ${path}`
        if (typeof operation.operationId === 'string') {
          if (operationIds.has(operation.operationId)) {
            problems.push(`${where}: duplicate operationId ${operation.operationId}`)
          }
          operationIds.add(operation.operationId)
        }
        const responses = Object.entries<any>(operation.responses ?? {})
        if (responses.length === 0) problems.push(`${where} has no responses`)
        for (const [status, response] of responses) {
          if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(status)) {
            problems.push(`${where}: bad status ${status}`)
          }
          const resolved = response.$ref ? this.resolve(response.$ref) : response
          if (!resolved) problems.push(`${where} ${status}: unresolved ${response.$ref}`)
          else if (typeof resolved.description !== 'string') {
            problems.push(`${where} ${status} has no description`)
          }
        }
        const parameters = [...(item.parameters ?? []), ...(operation.parameters ?? [])]
        for (const parameter of parameters) {
          if (!['path', 'query', 'header', 'cookie'].includes(parameter.in)) {
            problems.push(`${where}: parameter ${parameter.name} has a bad "in"`)
          }
          if (!parameter.schema)
            problems.push(`${where}: parameter ${parameter.name} has no schema`)
          if (parameter.in === 'path' && parameter.required !== true) {
            problems.push(`${where}: path parameter ${parameter.name} must be required`)
          }
        }
        for (const name of templated) {
          if (!parameters.some((parameter) => parameter.in === 'path' && parameter.name === name)) {
            problems.push(`${where}: path parameter {${name}} is not declared`)
          }
        }
        for (const parameter of parameters.filter((candidate) => candidate.in === 'path')) {
          if (!templated.includes(parameter.name)) {
            problems.push(`${where}: path parameter ${parameter.name} is not in the path`)
          }
        }
        if (operation.requestBody && !operation.requestBody.content) {
          problems.push(`${where}: requestBody has no content`)
        }
      }
    }

    // Every $ref resolves, and every component schema compiles
    const visit = (node: any, at: string) => {
      if (Array.isArray(node)) return node.forEach((child, index) => visit(child, `${at}/${index}`))
      if (node === null || typeof node !== 'object') return
      if (typeof node.$ref === 'string' && this.resolve(node.$ref) === undefined) {
        problems.push(`${at}: unresolved $ref ${node.$ref}`)
      }
      for (const [key, child] of Object.entries(node)) visit(child, `${at}/${key}`)
    }
    visit(doc, '#')
    for (const name of Object.keys(doc.components?.schemas ?? {})) {
      try {
        this.validateSchema(name, null)
      } catch (error) {
        problems.push(`components/schemas/${name} does not compile: ${(error as Error).message}`)
      }
    }

    for (const route of routes) {
      const path = this.pathOf(route.pattern)
      if (!doc.paths?.[path]?.[route.method.toLowerCase()]) {
        problems.push(`route ${route.method} ${route.pattern} is not in the document`)
      }
    }
    if (routes.length > 0) {
      const served = new Set(routes.map((route) => `${route.method} ${this.pathOf(route.pattern)}`))
      for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
        for (const method of METHODS.filter((candidate) => item[candidate])) {
          if (!served.has(`${method.toUpperCase()} ${path}`)) {
            problems.push(`${method.toUpperCase()} ${path} is documented but not served`)
          }
        }
      }
    }
    return problems
  }
}

/**
 * What `redocly lint` reports of the document with its recommended rules
 * (errors and warnings), through the library the CLI lints with.
 */
export async function redoclyProblems(document: OpenApiDocument) {
  const config = await createConfig({ extends: ['recommended'] })
  const problems = await lintFromString({
    source: JSON.stringify(document),
    absoluteRef: 'openapi.json',
    config,
  })
  return problems.map(
    (problem) =>
      `${problem.severity} ${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer}`
  )
}

/**
 * The routes the package registered under the API prefix (from the running
 * app's router, so a route added to routes.ts shows up here), except the
 * catch-all that answers 404.
 */
export async function apiRoutes() {
  const router = await app.container.make('router')
  const exo = await app.container.make('exo.manager')
  const prefix = exo.config.prefix.api
  return Object.values(router.toJSON())
    .flat()
    .filter((route) => route.pattern.startsWith(`${prefix}/`) && !route.pattern.endsWith('/*'))
    .flatMap((route) =>
      route.methods
        .filter((method) => method !== 'HEAD')
        .map((method) => ({ method, pattern: route.pattern }))
    )
}
