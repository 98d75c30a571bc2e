import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import type { DatabaseQueryBuilderContract } from '@adonisjs/lucid/types/querybuilder'
import { retryingDeadlocks } from './deadlocks.js'

type Narrow = (query: DatabaseQueryBuilderContract) => DatabaseQueryBuilderContract

/**
 * Updates the rows of `table` among `ids` that `narrow` keeps and returns
 * them, read with `columns`, so that concurrent workers each learn which rows
 * they won. The columns the update sets are not to be read back: PostgreSQL
 * and SQLite return rows with RETURNING, after the update; MySQL has no
 * UPDATE … RETURNING, so there the rows are locked and read first, in a
 * transaction.
 */
export async function updateChangedRows(
  client: QueryClientContract,
  table: string,
  ids: (string | number)[],
  narrow: Narrow,
  values: Record<string, unknown>,
  columns: string[] = ['id']
): Promise<Record<string, any>[]> {
  if (ids.length === 0) return []
  if (client.dialect.name !== 'mysql') {
    return narrow(client.from(table).whereIn('id', ids)).update(values, columns)
  }
  const changeLocked = async (trx: QueryClientContract) => {
    const rows = await narrow(trx.from(table).select(columns).whereIn('id', ids)).forUpdate()
    if (rows.length > 0) {
      await trx
        .from(table)
        .whereIn(
          'id',
          rows.map((row) => row.id)
        )
        .update(values)
    }
    return rows
  }
  if (client.isTransaction) return changeLocked(client)
  return retryingDeadlocks(() => client.transaction(changeLocked))
}

/**
 * `CASE id WHEN … THEN … END`: one value per row in a single UPDATE, on every
 * dialect. Numbers are cast, since PostgreSQL types untyped parameters as text.
 */
export function valuePerId(
  client: QueryClientContract,
  values: Map<string, string | number>,
  type: 'text' | 'integer'
) {
  const integer = client.dialect.name === 'mysql' ? 'signed' : 'integer'
  const placeholder = type === 'integer' ? `cast(? as ${integer})` : '?'
  const bindings: (string | number)[] = []
  const branches = [...values].map(([id, value]) => {
    bindings.push(id, value)
    return `when ? then ${placeholder}`
  })
  // Knex's own raw: Lucid passes update values to Knex untransformed
  return client.getWriteClient().raw(`case id ${branches.join(' ')} end`, bindings)
}
