import dns from 'node:dns'
import { isIP } from 'node:net'
import { Agent } from 'undici'
import { connectionLookup, refusalReason, type HostLookup } from './destination_guard.js'

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
  /** The worker stopped the request before the receiver answered (see `interrupt`) */
  interrupted?: boolean
}

class Interruption extends Error {
  constructor() {
    super('The worker stopped before the receiver answered')
  }
}

/**
 * Response headers as Node's http module gives them: lower-case names,
 * repeated ones joined.
 */
function headersOf(raw: Buffer[]) {
  const headers: Record<string, string> = {}
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index].toString('latin1').toLowerCase()
    const value = raw[index + 1].toString('latin1')
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value
  }
  return headers
}

/**
 * The request's headers, with the credentials of a URL such as
 * `https://user:pass@host/` as Basic auth, which Node's http module would send.
 */
function headersFor(url: URL, headers: Record<string, string>) {
  if (!url.username && !url.password) return headers
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
  return { Authorization: `Basic ${Buffer.from(credentials).toString('base64')}`, ...headers }
}

/**
 * The response body as the activity log can store it: PostgreSQL text
 * refuses NUL characters, which binary bodies carry.
 */
function storableText(body: Buffer) {
  return body.toString('utf8').replaceAll('\u0000', '\uFFFD')
}

/**
 * One HTTP POST over keep-alive connections (undici, whose client costs
 * half the CPU per request of Node's http module), with an overall timeout,
 * never following redirects and keeping at most 64 KiB of the response body.
 * Host names resolve through `lookup`; unless private networks are allowed,
 * only public addresses are reached.
 * A receiver gets at most SOCKETS_PER_ORIGIN requests at once from a worker;
 * the timeout and the duration count from when a request has its connection.
 */
export class Sender {
  #agent: Agent
  /** How to abort each request that has its connection */
  #underWay = new Set<(error: Error) => void>()
  #interrupted = false

  constructor(
    private timeoutMs: number,
    private allowPrivateNetworks = false,
    lookup: HostLookup = dns.lookup
  ) {
    this.#agent = new Agent({
      connections: SOCKETS_PER_ORIGIN,
      connect: {
        timeout: timeoutMs,
        lookup: connectionLookup(lookup, !allowPrivateNetworks),
      },
      // The overall timeout below covers both
      headersTimeout: 0,
      bodyTimeout: 0,
    })
  }

  /**
   * Why the URL's host may not be reached when it is an IP literal, which
   * connects without the agent's lookup.
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
    const timeoutMs = this.timeoutMs
    const underWay = this.#underWay
    const isInterrupted = () => this.#interrupted

    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined
      let abortRequest: ((error: Error) => void) | undefined
      let httpStatus: number | null = null
      let responseHeaders: Record<string, string> | null = null
      const chunks: Buffer[] = []
      let size = 0

      const settle = (result: Omit<SendResult, 'durationMs'>) => {
        clearTimeout(timer)
        if (abortRequest) underWay.delete(abortRequest)
        resolve({ ...result, durationMs: elapsed() })
      }
      const fail = (error: string, interrupted = false) =>
        settle({
          httpStatus: null,
          responseHeaders: null,
          responseBody: null,
          error,
          ...(interrupted ? { interrupted } : {}),
        })

      const refused = this.#refusedLiteral(url)
      if (refused) return fail(refused)
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        return fail(`Unsupported protocol ${url.protocol}`)
      }

      this.#agent.dispatch(
        {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers: headersFor(url, request.headers),
          body: request.body,
        },
        {
          onConnect(abort) {
            if (isInterrupted()) return abort(new Interruption())
            startedAt = performance.now()
            clearTimeout(timer)
            abortRequest = abort
            underWay.add(abort)
            timer = setTimeout(() => abort(new Error(`Timed out after ${timeoutMs}ms`)), timeoutMs)
          },
          onError(error) {
            // Invalid headers, such as values saved behind the API's back, end here too
            fail(error.message || String(error), error instanceof Interruption)
          },
          onHeaders(statusCode, rawHeaders) {
            // 1xx informational answers come before the final one
            if (statusCode < 200) return true
            httpStatus = statusCode
            responseHeaders = headersOf(rawHeaders)
            return true
          },
          onData(chunk) {
            if (size < RESPONSE_BODY_LIMIT)
              chunks.push(chunk.subarray(0, RESPONSE_BODY_LIMIT - size))
            size += chunk.length
            return true
          },
          onComplete() {
            settle({
              httpStatus,
              responseHeaders,
              responseBody: storableText(Buffer.concat(chunks)),
              error: null,
            })
          },
        }
      )
    })
  }

  /**
   * Stops the requests under way and those still to connect, which resolve
   * as `interrupted`: a stopping worker does not wait on a receiver that
   * takes its whole timeout.
   */
  interrupt() {
    this.#interrupted = true
    for (const abort of this.#underWay) abort(new Interruption())
  }

  close() {
    return this.#agent.destroy()
  }
}
