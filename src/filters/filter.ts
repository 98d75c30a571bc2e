import { RESERVED_KEYS } from '../reserved_keys.js'

/** What a filter compares with: a JSON scalar */
export type FilterLiteral = string | number | boolean | null

export const OPERATORS = [
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$in',
  '$nin',
  '$exists',
  '$startsWith',
] as const
export type FilterOperator = (typeof OPERATORS)[number]

export const COMBINATORS = ['$and', '$or'] as const

/**
 * A subscription's filter, as stored: dot paths into the payload, each
 * with a literal (equality) or an object of operators, and `$and` / `$or`
 * over arrays of filters.
 */
export interface Filter {
  $and?: Filter[]
  $or?: Filter[]
  [path: string]: FilterLiteral | Partial<Record<FilterOperator, unknown>> | Filter[] | undefined
}

/** Whether a payload gets through a filter */
export type CompiledFilter = (payload: unknown) => boolean

/** A value at a path the payload does not have */
const ABSENT = Symbol('absent')
type Found = unknown | typeof ABSENT

/**
 * How deep `compileFilter` follows nested `$and` / `$or`: far beyond what
 * validation allows, so that a stored filter, whatever it holds, is no
 * stack overflow.
 */
const MAX_COMPILED_DEPTH = 32

const always: CompiledFilter = () => true
const never: CompiledFilter = () => false

export function isFilterLiteral(value: unknown): value is FilterLiteral {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  )
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** An array index as JSON writes one: `0`, `12`, never `01` or `-1` */
const ARRAY_INDEX = /^(?:0|[1-9]\d{0,8})$/

/**
 * Reads the value at a dot path, by own properties only: a segment never
 * walks into a prototype (`__proto__`, `constructor`, `prototype` find
 * nothing), an array is entered by index only (`items.0`, not
 * `items.length`), and a scalar has no properties.
 */
function reader(path: string): (payload: unknown) => Found {
  const segments = path.split('.').map((segment) => ({
    key: segment,
    reserved: RESERVED_KEYS.has(segment),
    index: ARRAY_INDEX.test(segment),
  }))
  return (payload) => {
    let current: unknown = payload
    for (const { key, reserved, index } of segments) {
      if (reserved || current === null || typeof current !== 'object') return ABSENT
      if (Array.isArray(current) && !index) return ABSENT
      if (!Object.hasOwn(current, key)) return ABSENT
      current = (current as Record<string, unknown>)[key]
    }
    return current
  }
}

function equals(found: Found, literal: unknown) {
  return isFilterLiteral(found) && found === literal
}

/** Only two numbers or two strings compare; anything else is no match */
function comparable(found: Found, operand: unknown) {
  return (
    (typeof found === 'number' && typeof operand === 'number') ||
    (typeof found === 'string' && typeof operand === 'string')
  )
}

function oneOf(found: Found, operand: unknown) {
  return Array.isArray(operand) && operand.some((literal) => equals(found, literal))
}

/** What each operator holds of the value found, given its operand */
const OPERATOR_TESTS: Record<FilterOperator, (found: Found, operand: any) => boolean> = {
  $eq: (found, operand) => isFilterLiteral(operand) && equals(found, operand),
  $ne: (found, operand) => isFilterLiteral(operand) && !equals(found, operand),
  $gt: (found, operand) => comparable(found, operand) && (found as number) > operand,
  $gte: (found, operand) => comparable(found, operand) && (found as number) >= operand,
  $lt: (found, operand) => comparable(found, operand) && (found as number) < operand,
  $lte: (found, operand) => comparable(found, operand) && (found as number) <= operand,
  $in: (found, operand) => oneOf(found, operand),
  $nin: (found, operand) => Array.isArray(operand) && !oneOf(found, operand),
  $exists: (found, operand) => typeof operand === 'boolean' && (found !== ABSENT) === operand,
  $startsWith: (found, operand) =>
    typeof found === 'string' && typeof operand === 'string' && found.startsWith(operand),
}

/**
 * The test of one path: a literal is `$eq`; an object holds when each of
 * its operators does. Anything else, or an unknown operator, never holds.
 */
function conditionOn(path: string, condition: unknown): CompiledFilter {
  const read = reader(path)
  if (isFilterLiteral(condition)) return (payload) => equals(read(payload), condition)
  if (!isPlainObject(condition)) return never
  const tests: ((found: Found) => boolean)[] = []
  for (const [operator, operand] of Object.entries(condition)) {
    if (!Object.hasOwn(OPERATOR_TESTS, operator)) return never
    const test = OPERATOR_TESTS[operator as FilterOperator]
    tests.push((found) => test(found, operand))
  }
  return (payload) => {
    const found = read(payload)
    return tests.every((test) => test(found))
  }
}

function compileAll(filters: unknown, depth: number): CompiledFilter[] | null {
  if (!Array.isArray(filters)) return null
  return filters.map((filter) => compileAt(filter, depth + 1))
}

function compileAt(filter: unknown, depth: number): CompiledFilter {
  if (depth > MAX_COMPILED_DEPTH || !isPlainObject(filter)) return never
  const tests: CompiledFilter[] = []
  for (const [key, condition] of Object.entries(filter)) {
    if (key === '$and' || key === '$or') {
      const parts = compileAll(condition, depth)
      if (!parts) return never
      tests.push(
        key === '$and'
          ? (payload) => parts.every((part) => part(payload))
          : (payload) => parts.some((part) => part(payload))
      )
    } else {
      tests.push(conditionOn(key, condition))
    }
  }
  return (payload) => tests.every((test) => test(payload))
}

/**
 * A filter made into a function, once, for the many payloads it is asked
 * about. Total: it never throws, whatever the filter or the payload. No
 * filter (null) lets everything through; a filter, or a part of it, that
 * is not what validation accepts lets nothing through.
 */
export function compileFilter(filter: unknown): CompiledFilter {
  if (filter === null || filter === undefined) return always
  return compileAt(filter, 1)
}

/**
 * Whether a payload gets through a filter (compile it once with
 * `compileFilter` to ask about many payloads).
 */
export function matchesFilter(filter: unknown, payload: unknown): boolean {
  return compileFilter(filter)(payload)
}
