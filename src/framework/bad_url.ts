import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ApplicationService } from '@adonisjs/core/types'

type BadUrlAnswer = (req: IncomingMessage, res: ServerResponse) => void

/**
 * AdonisJS 7's server answers a URL it cannot decode (`/exo-api/%ED%A0%80`)
 * before any route or middleware runs, with `http.onBadUrl` of
 * config/app.ts: 400 in plain text by default. Under the API's prefix the
 * answer is JSON, as every other API error is; elsewhere the host's stands.
 * The server reads `onBadUrl` from the config object on each such request.
 */
export function answerBadApiUrlsInJson(app: ApplicationService, prefix: string) {
  const http = app.config.get<{ onBadUrl?: BadUrlAnswer } | undefined>('app.http')
  if (!http) return
  const hostAnswer = http.onBadUrl
  http.onBadUrl = (req, res) => {
    const url = req.url ?? ''
    const inApi = url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`)
    if (!inApi && hostAnswer) return hostAnswer(req, res)
    res.writeHead(400, { 'Content-Type': 'application/json; charset=utf-8' })
    res.end(JSON.stringify({ message: 'The request URL is not valid' }))
  }
}
