import { RESERVED_KEYS } from '../reserved_keys.js'
import {
  COMBINATORS,
  isFilterLiteral,
  isPlainObject,
  OPERATORS,
  type FilterOperator,
} from './filter.js'

/** The bounds of a filter, as docs/api.md states them */
export const FILTER_LIMITS = {
  /** Levels of nesting: the filter itself is 1, each `$and` / `$or` adds one */
  depth: 5,
  /** Literals and operators, all levels together */
  conditions: 50,
  /** Serialized as JSON, in UTF-8 */
  bytes: 4096,
  /** Dot-separated segments of one path */
  segments: 10,
  /** Characters of one path */
  pathLength: 200,
} as const

export interface FilterProblem {
  field: string
  rule: string
  message: string
}

/** Problems reported at most, so that a huge filter is no huge answer */
const MAX_PROBLEMS = 20

const LITERAL_TEXT = 'a string, a number, true, false or null'
const OPERATOR_LIST = OPERATORS.join(', ')

/**
 * Walks a filter as given by a client, collecting what is wrong with it,
 * each problem named by where it is (`filter.data.total.$gt`,
 * `filter.$or.1.data.status`). It descends only into what a filter may
 * hold, never deeper than its bounds, so any input is walked in bounded
 * time and stack.
 */
class FilterWalk {
  readonly problems: FilterProblem[] = []
  conditions = 0

  report(field: string, rule: string, message: string) {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ field, rule, message })
  }

  filter(value: unknown, field: string, depth: number) {
    if (!isPlainObject(value)) {
      return this.report(
        field,
        'object',
        `The ${field} field must be an object of conditions, such as {"data.status": "paid"}`
      )
    }
    if (depth > FILTER_LIMITS.depth) {
      return this.report(
        field,
        'maxDepth',
        `The ${field} field nests $and and $or deeper than ${FILTER_LIMITS.depth} levels`
      )
    }
    for (const [key, condition] of Object.entries(value)) {
      if (this.conditions > FILTER_LIMITS.conditions) return
      const keyField = `${field}.${key}`
      if ((COMBINATORS as readonly string[]).includes(key)) {
        this.combination(condition, keyField, depth)
      } else if (key.startsWith('$')) {
        this.report(
          keyField,
          'operator',
          `The ${keyField} field is not allowed: only $and and $or combine conditions, and a path cannot start with $`
        )
      } else if (this.path(key, keyField)) {
        this.condition(condition, keyField)
      }
    }
  }

  combination(value: unknown, field: string, depth: number) {
    if (!Array.isArray(value) || value.length === 0) {
      return this.report(
        field,
        'array',
        `The ${field} field must be a non-empty array of filters, such as [{"data.status": "paid"}]`
      )
    }
    value.forEach((item, index) => this.filter(item, `${field}.${index}`, depth + 1))
  }

  /** Whether a path can be read: segments neither empty nor reaching a prototype */
  path(path: string, field: string) {
    const segments = path.split('.')
    const reserved = segments.find((segment) => RESERVED_KEYS.has(segment))
    if (reserved !== undefined) {
      this.report(
        field,
        'reserved_key',
        `The ${field} field is not allowed: no path segment may be named __proto__, constructor or prototype`
      )
      return false
    }
    if (segments.includes('')) {
      this.report(field, 'path', `The ${field} field must be a dot path such as data.status`)
      return false
    }
    if (path.length > FILTER_LIMITS.pathLength || segments.length > FILTER_LIMITS.segments) {
      this.report(
        field,
        'path',
        `The ${field} field must be a path of at most ${FILTER_LIMITS.segments} segments and ${FILTER_LIMITS.pathLength} characters`
      )
      return false
    }
    return true
  }

  condition(value: unknown, field: string) {
    if (isFilterLiteral(value)) {
      this.conditions++
      return
    }
    if (!isPlainObject(value) || Object.keys(value).length === 0) {
      return this.report(
        field,
        'condition',
        `The ${field} field must be ${LITERAL_TEXT}, or an object of operators such as {"$gt": 100}`
      )
    }
    for (const [operator, operand] of Object.entries(value)) {
      this.conditions++
      const operatorField = `${field}.${operator}`
      if (!(OPERATORS as readonly string[]).includes(operator)) {
        this.report(
          operatorField,
          'operator',
          `The ${operatorField} field is not an operator: use one of ${OPERATOR_LIST}`
        )
      } else {
        this.operand(operator as FilterOperator, operand, operatorField)
      }
    }
  }

  operand(operator: FilterOperator, operand: unknown, field: string) {
    const expected = expectedOperand(operator)
    if (!expected.accepts(operand))
      this.report(field, 'operand', `The ${field} field must be ${expected.text}`)
  }
}

/** What each operator takes */
function expectedOperand(operator: FilterOperator): {
  accepts: (operand: unknown) => boolean
  text: string
} {
  switch (operator) {
    case '$eq':
    case '$ne':
      return { accepts: isFilterLiteral, text: LITERAL_TEXT }
    case '$in':
    case '$nin':
      return {
        accepts: (operand) =>
          Array.isArray(operand) && operand.length > 0 && operand.every(isFilterLiteral),
        text: `a non-empty array of literals (${LITERAL_TEXT})`,
      }
    case '$exists':
      return { accepts: (operand) => typeof operand === 'boolean', text: 'true or false' }
    case '$startsWith':
      return { accepts: (operand) => typeof operand === 'string', text: 'a string' }
    default:
      return {
        accepts: (operand) =>
          typeof operand === 'string' || (typeof operand === 'number' && Number.isFinite(operand)),
        text: 'a number or a string',
      }
  }
}

/**
 * What is wrong with a filter a client sent, none when it is valid: its
 * shape, its operators and their operands, then its bounds. `null` is no
 * filter, and valid.
 */
export function filterProblems(filter: unknown, field = 'filter'): FilterProblem[] {
  if (filter === null) return []
  const walk = new FilterWalk()
  walk.filter(filter, field, 1)
  if (walk.conditions > FILTER_LIMITS.conditions) {
    return [
      {
        field,
        rule: 'maxConditions',
        message: `The ${field} field must have at most ${FILTER_LIMITS.conditions} conditions`,
      },
    ]
  }
  if (walk.problems.length > 0) return walk.problems
  // Valid so far, it is shallow: serializing it is safe
  if (Buffer.byteLength(JSON.stringify(filter)) > FILTER_LIMITS.bytes) {
    return [
      {
        field,
        rule: 'maxSize',
        message: `The ${field} field must be at most ${FILTER_LIMITS.bytes / 1024} KiB of JSON`,
      },
    ]
  }
  return []
}
