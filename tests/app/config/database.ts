import { existsSync } from 'node:fs'
import app from '@adonisjs/core/services/app'
import env from '#start/env'
import { defineConfig } from '@adonisjs/lucid'

// The package's migrations are read where configure publishes them from, so
// this app runs exactly what a host app gets. (On AdonisJS 7, tests/v7/suite's
// copy of this app has them in database/migrations, where configure put them.)
const migrations = {
  naturalSort: true,
  paths: ['database/migrations', '../../database/migrations'].filter((path) =>
    existsSync(app.makePath(path))
  ),
}

const dbConfig = defineConfig({
  connection: env.get('DB_CONNECTION', 'sqlite'),
  connections: {
    sqlite: {
      client: 'better-sqlite3',
      connection: { filename: app.tmpPath(env.get('SQLITE_FILE', 'db.sqlite3')) },
      useNullAsDefault: true,
      pool: {
        afterCreate: (connection: any, done: (error: Error | null, connection: any) => void) => {
          // Workers and the web server share the file: let readers and a writer overlap.
          connection.pragma('journal_mode = WAL')
          connection.pragma('busy_timeout = 10000')
          done(null, connection)
        },
      },
      migrations,
    },
    pg: {
      client: 'pg',
      connection: {
        host: env.get('DB_HOST', '127.0.0.1'),
        port: env.get('DB_PORT', 5432),
        user: env.get('DB_USER', 'postgres'),
        password: env.get('DB_PASSWORD', ''),
        database: env.get('DB_DATABASE', 'test'),
      },
      migrations,
    },
    mysql: {
      client: 'mysql2',
      connection: {
        host: env.get('DB_HOST', '127.0.0.1'),
        port: env.get('DB_PORT', 3306),
        user: env.get('DB_USER', 'root'),
        password: env.get('DB_PASSWORD', ''),
        database: env.get('DB_DATABASE', 'test'),
      },
      migrations,
    },
  },
})

export default dbConfig
