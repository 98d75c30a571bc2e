/** Marks a value whose JSON could change after the save, or could fail */
const UNSAFE = Symbol('unsafe')

/** Deeper payloads are serialized at once (this also ends a cycle) */
const MAX_DEPTH = 16

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/**
 * A copy that serializes to the JSON `value` gives now: its plain objects
 * and arrays are copied, and it holds nothing else but strings, numbers,
 * booleans, null, undefined and luxon DateTimes, which never change.
 */
function copyOf(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') {
    const kind = typeof value
    const taken =
      kind === 'string' || kind === 'number' || kind === 'boolean' || kind === 'undefined'
    return value === null || taken ? value : UNSAFE
  }
  if ((value as { isLuxonDateTime?: unknown }).isLuxonDateTime === true) return value
  if (depth === MAX_DEPTH) return UNSAFE
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return UNSAFE
    const copy: unknown[] = []
    for (const item of value) {
      const itemCopy = copyOf(item, depth + 1)
      if (itemCopy === UNSAFE) return UNSAFE
      copy.push(itemCopy)
    }
    return copy
  }
  if (!isPlainObject(value)) return UNSAFE
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(value)) {
    // Assigning it would set the copy's prototype, not a key
    if (key === '__proto__') return UNSAFE
    copy[key] = copyOf((value as Record<string, unknown>)[key], depth + 1)
    if (copy[key] === UNSAFE) return UNSAFE
  }
  return copy
}

/**
 * Takes a payload at the save and gives its JSON when asked. Serializing is
 * the costliest part of recording an event, and inside a transaction it can
 * wait for the commit, where the events of the transaction are serialized
 * one after the other: a payload of plain data is copied instead, which
 * serializes to the same JSON. Any other payload (class instances, Dates,
 * BigInts…) is serialized at once, so it fails, if it does, at the save.
 */
export function payloadSnapshot(payload: unknown): () => string {
  const copy = copyOf(payload ?? null, 0)
  if (copy !== UNSAFE) return () => JSON.stringify(copy)
  const json = JSON.stringify(payload ?? null)
  return () => json
}
