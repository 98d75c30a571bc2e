import dns from 'node:dns'
import { isIP } from 'node:net'
import { Agent, Pool, ProxyAgent, type Dispatcher } from 'undici'
import { checkDestination, connectionLookup, type HostLookup } from './destination_guard.js'

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

/** undici's errors of a proxy that was not reached, or did not answer CONNECT in time */
const PROXY_TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT'])

/** The outcome of a request that got no answer */
function failure(error: string, interrupted = false): Omit<SendResult, 'durationMs'> {
  return {
    httpStatus: null,
    responseHeaders: null,
    responseBody: null,
    error,
    ...(interrupted ? { interrupted } : {}),
  }
}

/**
 * Connections straight to receivers, each host name resolved through
 * `lookup` and, when `guarded`, refused unless its addresses are public.
 */
function directAgent(timeoutMs: number, lookup: HostLookup, guarded: boolean) {
  return new Agent({
    connections: SOCKETS_PER_ORIGIN,
    connect: { timeout: timeoutMs, lookup: connectionLookup(lookup, guarded) },
    // The overall timeout of `send` covers both
    headersTimeout: 0,
    bodyTimeout: 0,
  })
}

/**
 * Connections to receivers through an HTTP proxy's CONNECT tunnels, with
 * undici's own ProxyAgent (credentials in the URL become Proxy-Authorization).
 * The proxy's host name resolves through `lookup` unguarded: its address is
 * the operator's choice, often a private one. Reaching the proxy and its
 * answer to CONNECT are bounded by the timeout too.
 */
function proxyAgent(proxy: string, timeoutMs: number, lookup: HostLookup) {
  return new ProxyAgent({
    uri: proxy,
    connections: SOCKETS_PER_ORIGIN,
    headersTimeout: 0,
    bodyTimeout: 0,
    proxyTls: { timeout: timeoutMs, lookup: connectionLookup(lookup, false) },
    clientFactory: (origin, options) => new Pool(origin, { ...options, headersTimeout: timeoutMs }),
  })
}

/**
 * One HTTP POST over keep-alive connections (undici, whose client costs
 * half the CPU per request of Node's http module), with an overall timeout,
 * never following redirects and keeping at most 64 KiB of the response body.
 * Host names resolve through `lookup`; unless private networks are allowed,
 * only public addresses are reached. With a `proxy`, requests go through its
 * CONNECT tunnels, and the destination is judged before the proxy is asked.
 * A receiver gets at most SOCKETS_PER_ORIGIN requests at once from a worker;
 * the timeout and the duration count from when a request has its connection.
 */
export class Sender {
  #agent: Dispatcher
  /** The proxy's host and port, as errors name it (never its credentials) */
  #proxyHost: string | null
  /** How to abort each request that has its connection */
  #underWay = new Set<(error: Error) => void>()
  #interrupted = false

  constructor(
    private timeoutMs: number,
    private allowPrivateNetworks = false,
    private lookup: HostLookup = dns.lookup,
    proxy: string | null = null
  ) {
    this.#proxyHost = proxy ? new URL(proxy).host : null
    this.#agent = proxy
      ? proxyAgent(proxy, timeoutMs, lookup)
      : directAgent(timeoutMs, lookup, !allowPrivateNetworks)
  }

  /**
   * Why the URL's destination may not be reached, judged before the request
   * leaves: an IP literal, which connects without the agent's lookup, or,
   * through a proxy, whatever the host resolves to here, since the
   * connection's own lookup then resolves the proxy.
   */
  async #refusal(url: URL): Promise<string | null> {
    if (this.allowPrivateNetworks) return null
    if (!this.#proxyHost && !isIP(url.hostname.replace(/^\[|\]$/g, ''))) return null
    try {
      await checkDestination(url, this.lookup)
      return null
    } catch (error) {
      return error.message
    }
  }

  /**
   * An error's text for the activity log: one on the way to the proxy says so.
   */
  #errorText(error: Error & { code?: string; syscall?: string }, connected: boolean) {
    const message = error.message || String(error)
    const toProxy = error.syscall !== undefined || PROXY_TIMEOUTS.has(error.code ?? '')
    if (!this.#proxyHost || connected || !toProxy) return message
    return `The proxy ${this.#proxyHost} could not be reached: ${message}`
  }

  async send(request: OutgoingRequest): Promise<SendResult> {
    const startedAt = performance.now()
    const url = new URL(request.url)
    const refused =
      url.protocol === 'http:' || url.protocol === 'https:'
        ? await this.#refusal(url)
        : `Unsupported protocol ${url.protocol}`
    if (refused) {
      return { ...failure(refused), durationMs: Math.round(performance.now() - startedAt) }
    }
    return this.#dispatch(request, url)
  }

  #dispatch(request: OutgoingRequest, url: URL): Promise<SendResult> {
    let startedAt = performance.now()
    const elapsed = () => Math.round(performance.now() - startedAt)
    const timeoutMs = this.timeoutMs
    const underWay = this.#underWay
    const isInterrupted = () => this.#interrupted
    const errorText = this.#errorText.bind(this)

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
      const fail = (error: string, interrupted = false) => settle(failure(error, interrupted))

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
            fail(errorText(error, abortRequest !== undefined), error instanceof Interruption)
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
