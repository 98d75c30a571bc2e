import db from '@adonisjs/lucid/services/db'
import type { TestContext } from '@japa/runner/core'

/**
 * Makes the database refuse every insert into `table`, as a full disk or a
 * revoked privilege would: a trigger that raises an error, in the dialect
 * of the run. Until the returned function (or the end of the test) drops it.
 */
export async function refuseInserts(table: string, cleanup: TestContext['cleanup']) {
  const name = `exo_test_refuse_${table}`
  const message = `the database refuses rows of ${table}`
  const dialect = db.connection().dialect.name
  if (dialect === 'postgres') {
    await db.rawQuery(
      `create function ${name}() returns trigger language plpgsql as $$ begin raise exception '${message}'; end $$`
    )
    await db.rawQuery(
      `create trigger ${name} before insert on ${table} for each row execute function ${name}()`
    )
  } else if (dialect === 'mysql') {
    await db.rawQuery(
      `create trigger ${name} before insert on ${table} for each row signal sqlstate '45000' set message_text = '${message}'`
    )
  } else {
    await db.rawQuery(
      `create trigger ${name} before insert on ${table} begin select raise(abort, '${message}'); end`
    )
  }

  let dropped = false
  const allow = async () => {
    if (dropped) return
    dropped = true
    if (dialect === 'postgres') {
      await db.rawQuery(`drop trigger ${name} on ${table}`)
      await db.rawQuery(`drop function ${name}()`)
    } else {
      await db.rawQuery(`drop trigger ${name}`)
    }
  }
  cleanup(allow)
  return allow
}
