import type { LazyImport } from './types.js'

/**
 * The default export of a lazily imported module, such as `() => import('#models/user')`.
 */
export async function importDefault<T>(lazy: LazyImport<T>): Promise<T> {
  const module = await lazy()
  return module.default
}
