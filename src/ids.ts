import { randomFillSync } from 'node:crypto'
import { encodeTime, TIME_LEN, ulid } from 'ulid'

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

/**
 * The smallest id `prefixedUlid(prefix)` makes at `time` or later: a ULID
 * starts with its time, so ids compare in the order they were made and a
 * period's ids are a range (on an index that holds them).
 */
export function firstIdAt(prefix: string, time: number) {
  return `${prefix}_${encodeTime(time, TIME_LEN)}`
}

/**
 * Whether `value` could be an id `prefixedUlid(prefix)` made (the prefix,
 * then letters and digits): what a client sends for an id is checked before
 * it reaches a query.
 */
export function looksLikeId(prefix: string, value: string) {
  return new RegExp(`^${prefix}_[0-9A-Za-z]{1,64}$`).test(value)
}
