import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { HttpContext } from '@adonisjs/core/http'

const TYPES: Record<string, string> = {
  'exo.css': 'text/css; charset=utf-8',
  'exo.js': 'text/javascript; charset=utf-8',
}

interface Asset {
  contents: Buffer
  version: string
}

/**
 * The stylesheet and script the package ships, served by the dashboard
 * itself (no CDN, no build step in the host app). URLs carry a hash of the
 * file, so browsers may keep a file for a year and still get a new release.
 */
export class DashboardAssets {
  #loaded = new Map<string, Promise<Asset>>()

  constructor(
    private directory: URL,
    private urlPrefix: string
  ) {}

  #load(name: string) {
    let asset = this.#loaded.get(name)
    if (!asset) {
      asset = readFile(new URL(name, this.directory)).then((contents) => ({
        contents,
        version: createHash('sha256').update(contents).digest('hex').slice(0, 12),
      }))
      this.#loaded.set(name, asset)
    }
    return asset
  }

  /**
   * The versioned URL of each asset, for the layout.
   */
  async urls() {
    const urls: Record<string, string> = {}
    for (const name of Object.keys(TYPES)) {
      const { version } = await this.#load(name)
      urls[name] = `${this.urlPrefix}/${name}?v=${version}`
    }
    return urls
  }

  async serve({ params, request, response }: HttpContext) {
    const type = TYPES[params.file]
    if (!type) return response.notFound('Not found')
    const { contents, version } = await this.#load(params.file)
    response.header('content-type', type)
    response.header(
      'cache-control',
      request.qs().v === version ? 'public, max-age=31536000, immutable' : 'no-cache'
    )
    return response.send(contents, true)
  }
}
