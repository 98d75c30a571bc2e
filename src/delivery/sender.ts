import http from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import { guardedLookup, refusalReason } from './destination_guard.js'

/** Response bodies are kept up to this size in the activity log */
export const RESPONSE_BODY_LIMIT = 64 * 1024

/** Connections a worker process keeps open to one receiver at most; more requests wait their turn */
export const SOCKETS_PER_ORIGIN = 50

export interface OutgoingRequest {
  url: string
  headers: Record<string, string>
  body: string
}

export interface SendResult {
  httpStatus: number | null
  responseHeaders: Record<string, string> | null
  responseBody: string | null
  error: string | null
  durationMs: number
}

function flattenHeaders(headers: http.IncomingHttpHeaders) {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.join(', ') : String(value),
    ])
  )
}

/**
 * The response body as the activity log can store it: PostgreSQL text
 * refuses NUL characters, which binary bodies carry.
 */
function storableText(body: Buffer) {
  return body.toString('utf8').replaceAll('\u0000', '\uFFFD')
}

/**
 * One HTTP POST over keep-alive agents, with an overall timeout, never
 * following redirects and keeping at most 64 KiB of the response body.
 * Unless private networks are allowed, only public addresses are reached.
 * A receiver gets at most SOCKETS_PER_ORIGIN requests at once from a worker;
 * the timeout and the duration count from when a request has its connection.
 */
export class Sender {
  #agents: Record<'http:' | 'https:', http.Agent>

  constructor(
    private timeoutMs: number,
    private allowPrivateNetworks = false
  ) {
    const lookup = allowPrivateNetworks ? undefined : guardedLookup
    this.#agents = {
      'http:': new http.Agent({ keepAlive: true, maxSockets: SOCKETS_PER_ORIGIN, lookup }),
      'https:': new https.Agent({ keepAlive: true, maxSockets: SOCKETS_PER_ORIGIN, lookup }),
    }
  }

  /**
   * Why the URL's host may not be reached when it is an IP literal, which
   * connects without the agents' lookup.
   */
  #refusedLiteral(url: URL): string | null {
    const host = url.hostname.replace(/^\[|\]$/g, '')
    if (this.allowPrivateNetworks || !isIP(host)) return null
    const refused = refusalReason(host)
    return refused ? `Refused destination: ${refused}` : null
  }

  send(request: OutgoingRequest): Promise<SendResult> {
    let startedAt = performance.now()
    const elapsed = () => Math.round(performance.now() - startedAt)
    const url = new URL(request.url)
    const transport = url.protocol === 'https:' ? https : http

    return new Promise((resolve) => {
      const fail = (error: string) =>
        resolve({
          httpStatus: null,
          responseHeaders: null,
          responseBody: null,
          error,
          durationMs: elapsed(),
        })

      const refused = this.#refusedLiteral(url)
      if (refused) return fail(refused)

      let outgoing: http.ClientRequest
      try {
        outgoing = transport.request(url, {
          method: 'POST',
          agent: this.#agents[url.protocol as 'http:' | 'https:'],
          headers: { ...request.headers, 'Content-Length': Buffer.byteLength(request.body) },
        })
      } catch (error) {
        // Headers Node refuses to send, such as values saved behind the API's back
        return fail(error.message)
      }
      let timer: NodeJS.Timeout | undefined
      outgoing.once('socket', () => {
        startedAt = performance.now()
        timer = setTimeout(() => {
          outgoing.destroy(new Error(`Timed out after ${this.timeoutMs}ms`))
        }, this.timeoutMs)
      })

      outgoing.on('error', (error) => {
        clearTimeout(timer)
        fail(error.message || String(error))
      })
      outgoing.on('response', (response) => {
        const chunks: Buffer[] = []
        let size = 0
        response.on('data', (chunk: Buffer) => {
          if (size < RESPONSE_BODY_LIMIT) chunks.push(chunk.subarray(0, RESPONSE_BODY_LIMIT - size))
          size += chunk.length
        })
        response.on('error', (error) => {
          clearTimeout(timer)
          fail(error.message)
        })
        response.on('end', () => {
          clearTimeout(timer)
          resolve({
            httpStatus: response.statusCode ?? null,
            responseHeaders: flattenHeaders(response.headers),
            responseBody: storableText(Buffer.concat(chunks)),
            error: null,
            durationMs: elapsed(),
          })
        })
      })
      outgoing.end(request.body)
    })
  }

  close() {
    Object.values(this.#agents).forEach((agent) => agent.destroy())
  }
}
