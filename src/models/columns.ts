import { framework } from '../framework/framework.js'
import { withoutReservedKeys } from '../reserved_keys.js'

/**
 * Column options for values stored as JSON text, so that the same schema
 * works on SQLite, PostgreSQL and MySQL. Values are read back without
 * prototype-reaching keys (see reserved_keys.ts), whatever was stored.
 */
export const jsonColumn = {
  prepare: (value: unknown) =>
    value === null || value === undefined ? null : JSON.stringify(value),
  consume: (value: unknown) =>
    withoutReservedKeys(typeof value === 'string' ? JSON.parse(value) : value),
}

/**
 * Column options for values encrypted at rest with the app's key, read back
 * as `jsonColumn` reads its values.
 */
export const encryptedColumn = {
  prepare: (value: unknown) =>
    value === null || value === undefined ? null : framework().secrets.encrypt(value),
  consume: (value: unknown) =>
    typeof value === 'string' ? withoutReservedKeys(framework().secrets.decrypt(value)) : null,
}
