import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'

const BODY_LIMIT = 1024 * 1024
/** A content type the host's bodyparser leaves alone, once this middleware has parsed the body */
const PARSED = 'application/x-exo-parsed'

/**
 * Server middleware for the API prefix: parses JSON bodies itself so that a
 * malformed or oversized body is a 400 in the API's shape, not the host's
 * error page, then lets the request through with the parsed body.
 */
export function jsonBodyMiddleware(prefix: string) {
  return class ExoJsonBodyMiddleware {
    async handle(ctx: HttpContext, next: NextFn) {
      const { request, response } = ctx
      const url = request.url()
      const inApi = url === prefix || url.startsWith(`${prefix}/`)
      if (!inApi || !request.hasBody()) return next()

      const raw = await readBody(request.request, BODY_LIMIT)
      if (raw === null) {
        return response.status(413).send({ message: 'The request body is larger than 1 MiB' })
      }
      let body: unknown = {}
      if (raw.trim().length > 0) {
        try {
          body = JSON.parse(raw, refuseMalformedText)
        } catch (error) {
          const message =
            error instanceof MalformedText ? error.message : 'The request body is not valid JSON'
          return response.status(400).send({ message })
        }
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        return response.status(400).send({ message: 'The request body must be a JSON object' })
      }
      request.request.headers['content-type'] = PARSED
      request.updateBody(body as Record<string, any>)
      return next()
    }
  }
}

class MalformedText extends Error {}

/**
 * `"\ud800"` and `"\u0000"` are valid JSON but not text: a lone surrogate
 * makes validators throw (validator.js's isEmail), PostgreSQL refuses NUL in
 * text columns, and neither has a use in a webhook's fields.
 */
function refuseMalformedText(key: string, value: unknown) {
  for (const text of typeof value === 'string' ? [key, value] : [key]) {
    if (!text.isWellFormed() || text.includes('\u0000')) {
      throw new MalformedText(
        'The request body has a string with a NUL character or a lone surrogate'
      )
    }
  }
  return value
}

function readBody(stream: NodeJS.ReadableStream, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) chunks.push(chunk)
    })
    stream.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks).toString('utf8')))
    stream.on('error', reject)
  })
}
