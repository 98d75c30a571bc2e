/**
 * Object keys that reach an object's prototype when a deep merge follows them.
 * Lucid copies every attribute with `lodash.merge` once a row is saved or
 * read (`$hydrateOriginals`), and the lodash that `@poppinss/utils` ships
 * still follows `constructor.prototype`: such a key in a stored JSON value
 * would change `Object.prototype` in every process that reads the row.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object'
}

/**
 * The path (`metadata.a.constructor`, `headers.0.__proto__`) of the first
 * reserved key found in a JSON value, at any depth; null when it has none.
 * Walks with a stack of its own, so a deeply nested body is no stack overflow.
 */
export function findReservedKey(value: unknown): string | null {
  const pending: { value: unknown; path: string }[] = [{ value, path: '' }]
  while (pending.length > 0) {
    const { value: current, path } = pending.pop()!
    if (!isObject(current)) continue
    for (const key of Object.keys(current)) {
      const keyPath = path === '' ? key : `${path}.${key}`
      if (RESERVED_KEYS.has(key)) return keyPath
      pending.push({ value: current[key], path: keyPath })
    }
  }
  return null
}

/**
 * A copy of a JSON value without reserved keys, at any depth: what was
 * stored before they were refused is read back as inert data.
 */
export function withoutReservedKeys<Value>(value: Value): Value {
  if (Array.isArray(value)) return value.map(withoutReservedKeys) as Value
  if (!isObject(value)) return value
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(value)) {
    if (!RESERVED_KEYS.has(key)) copy[key] = withoutReservedKeys(value[key])
  }
  return copy as Value
}
