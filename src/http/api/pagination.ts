import { invalid } from './validators.js'

export const DEFAULT_PAGE_SIZE = 50

/**
 * Cursors are opaque to clients: the base64url of the last id of a page.
 */
export function encodeCursor(lastId: string | number) {
  return Buffer.from(JSON.stringify([lastId])).toString('base64url')
}

export function decodeCursor<T extends string | number>(
  cursor: string,
  type: 'string' | 'number'
): T {
  try {
    const [lastId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    const valid =
      type === 'number'
        ? Number.isSafeInteger(lastId)
        : typeof lastId === 'string' && !lastId.includes('\u0000')
    if (valid) {
      return lastId
    }
  } catch {}
  return invalid('cursor', 'cursor', 'The cursor is not one this API returned')
}

/**
 * A page out of `limit + 1` rows: the extra row only tells there is more.
 */
export function page<Row, Item>(
  rows: Row[],
  limit: number,
  idOf: (row: Row) => string | number,
  serialize: (row: Row) => Item
) {
  const hasMore = rows.length > limit
  const data = rows.slice(0, limit)
  return {
    data: data.map(serialize),
    has_more: hasMore,
    next_cursor: hasMore ? encodeCursor(idOf(data[data.length - 1])) : null,
  }
}
