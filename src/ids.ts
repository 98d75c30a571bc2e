import { randomFillSync } from 'node:crypto'
import { ulid } from 'ulid'

const pool = new Uint8Array(4096)
let next = pool.length

/**
 * Random bytes for ULIDs from a pool refilled 4 KiB at a time: the library's
 * default asks the operating system for each of a ULID's 16 characters.
 */
function pooledRandom() {
  if (next === pool.length) {
    randomFillSync(pool)
    next = 0
  }
  return pool[next++] / 256
}

/**
 * A ULID with a prefix naming what it identifies, such as `evt_01J…`.
 */
export function prefixedUlid(prefix: string) {
  return `${prefix}_${ulid(undefined, pooledRandom)}`
}

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/

/**
 * Whether `value` has the shape of an id `prefixedUlid(prefix)` makes: what
 * a client sends for an id is checked before it reaches a query.
 */
export function isPrefixedUlid(prefix: string, value: string) {
  return value.startsWith(`${prefix}_`) && ULID.test(value.slice(prefix.length + 1))
}
