import { DateTime } from 'luxon'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'

/**
 * A time in the format the connection's dialect stores, the same one Lucid
 * models write, so raw inserts and model queries compare correctly.
 */
export function dbTime(client: QueryClientContract, date: Date | number = Date.now()) {
  const time = typeof date === 'number' ? DateTime.fromMillis(date) : DateTime.fromJSDate(date)
  return time.toFormat(client.dialect.dateTimeFormat)
}
