import encryption from '@adonisjs/core/services/encryption'

/**
 * Column options for values stored as JSON text, so that the same schema
 * works on SQLite, PostgreSQL and MySQL.
 */
export const jsonColumn = {
  prepare: (value: unknown) =>
    value === null || value === undefined ? null : JSON.stringify(value),
  consume: (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value),
}

/**
 * Column options for values encrypted at rest with the app's APP_KEY.
 */
export const encryptedColumn = {
  prepare: (value: unknown) =>
    value === null || value === undefined ? null : encryption.encrypt(value),
  consume: (value: unknown) => (typeof value === 'string' ? encryption.decrypt(value) : null),
}
