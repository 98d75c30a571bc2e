/**
 * The filter semantics of docs/api.md, written as plainly as possible and
 * apart from src/filters/filter.ts, for property-based tests to compare
 * the two: slow, recursive, no compilation.
 */

const NOWHERE = { absent: true }

function isLiteral(value: unknown) {
  if (value === null) return true
  if (typeof value === 'string' || typeof value === 'boolean') return true
  return typeof value === 'number' && Number.isFinite(value)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isIndex(segment: string) {
  if (segment.length === 0 || segment.length > 9) return false
  for (const char of segment) if (char < '0' || char > '9') return false
  return segment === '0' || segment[0] !== '0'
}

/** The value at a dot path, or NOWHERE */
function lookUp(payload: unknown, path: string): unknown {
  let current = payload
  for (const segment of path.split('.')) {
    if (segment === '__proto__' || segment === 'constructor' || segment === 'prototype') {
      return NOWHERE
    }
    if (typeof current !== 'object' || current === null) return NOWHERE
    if (Array.isArray(current) && !isIndex(segment)) return NOWHERE
    const descriptor = Object.getOwnPropertyDescriptor(current, segment)
    if (descriptor === undefined) return NOWHERE
    current = descriptor.value
  }
  return current
}

function same(found: unknown, literal: unknown) {
  if (found === NOWHERE || !isLiteral(found) || !isLiteral(literal)) return false
  return found === literal
}

function compare(found: unknown, operand: unknown, holds: (order: number) => boolean) {
  const numbers = typeof found === 'number' && typeof operand === 'number'
  const strings = typeof found === 'string' && typeof operand === 'string'
  if (!numbers && !strings) return false
  const a = found as number | string
  const b = operand as number | string
  if (a < b) return holds(-1)
  if (a > b) return holds(1)
  if (a === b) return holds(0)
  // NaN: no order
  return false
}

function among(found: unknown, list: unknown[]) {
  for (const item of list) if (same(found, item)) return true
  return false
}

function operatorHolds(operator: string, operand: unknown, found: unknown): boolean {
  switch (operator) {
    case '$eq':
      return isLiteral(operand) && same(found, operand)
    case '$ne':
      return isLiteral(operand) && !same(found, operand)
    case '$gt':
      return compare(found, operand, (order) => order > 0)
    case '$gte':
      return compare(found, operand, (order) => order >= 0)
    case '$lt':
      return compare(found, operand, (order) => order < 0)
    case '$lte':
      return compare(found, operand, (order) => order <= 0)
    case '$in':
      return Array.isArray(operand) && among(found, operand)
    case '$nin':
      return Array.isArray(operand) && !among(found, operand)
    case '$exists':
      return typeof operand === 'boolean' && operand === (found !== NOWHERE)
    case '$startsWith':
      return typeof found === 'string' && typeof operand === 'string' && found.startsWith(operand)
    default:
      return false
  }
}

function conditionHolds(condition: unknown, found: unknown): boolean {
  if (isLiteral(condition)) return same(found, condition)
  if (!isObject(condition)) return false
  for (const operator of Object.keys(condition)) {
    if (!operatorHolds(operator, condition[operator], found)) return false
  }
  return true
}

/** Whether the payload gets through the filter */
export function referenceMatches(filter: unknown, payload: unknown): boolean {
  if (filter === null || filter === undefined) return true
  if (!isObject(filter)) return false
  for (const key of Object.keys(filter)) {
    const value = filter[key]
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value)) return false
      const results = value.map((part) => part !== null && referenceMatches(part, payload))
      const holds = key === '$and' ? !results.includes(false) : results.includes(true)
      if (!holds) return false
    } else if (!conditionHolds(value, lookUp(payload, key))) {
      return false
    }
  }
  return true
}
