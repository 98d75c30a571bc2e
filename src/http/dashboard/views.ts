import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Edge } from 'edge.js'

/**
 * The dashboard's templates. Each one is the package's (the `exo` disk)
 * unless the host app has a file at the same path under
 * resources/views/vendor/exo, which then wins: a host overrides one page,
 * layout or partial at a time and keeps the rest. Templates name each other
 * through the `exoView()` global so an override applies wherever it is used.
 */
export class DashboardViews {
  static OVERRIDES_DISK = 'exo_overrides'

  constructor(
    edge: Edge,
    packageViews: URL,
    private overrides: string
  ) {
    edge.mount('exo', packageViews)
    edge.mount(DashboardViews.OVERRIDES_DISK, overrides)
    edge.global('exoView', (name: string) => this.resolve(name))
  }

  /**
   * The template path Edge renders for a view of the dashboard, such as
   * `pages/dashboard`. Looked up on each render, so an override added to a
   * running app applies at once.
   */
  resolve(name: string) {
    return existsSync(join(this.overrides, `${name}.edge`))
      ? `${DashboardViews.OVERRIDES_DISK}::${name}`
      : `exo::${name}`
  }
}
