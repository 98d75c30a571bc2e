import env from '#start/env'
import { defineConfig } from '@adonisjs/lucid'

/**
 * PostgreSQL instead of the starter kit's SQLite: better-sqlite3 needs a prebuilt binary
 * (or headers) for Node 24, which CI cannot download.
 */
const dbConfig = defineConfig({
  connection: 'pg',
  prettyPrintDebugQueries: true,
  connections: {
    pg: {
      client: 'pg',
      connection: {
        host: '127.0.0.1',
        port: 5432,
        user: 'postgres',
        password: env.get('DB_PASSWORD', ''),
        // scripts/test_upgrade.sh points it at the database of the AdonisJS 6 app
        database: env.get('DB_DATABASE', 'exo_v7'),
      },
      migrations: { naturalSort: true, paths: ['database/migrations'] },
      /**
       * Lucid 22 writes a class per table into database/schema.ts after migrating in
       * development; Exo's tables are its own business (docs/installation.md)
       */
      schemaGeneration: {
        excludeTables: [
          'exo_subscriptions',
          'exo_events',
          'exo_event_batches',
          'exo_deliveries',
          'exo_api_tokens',
        ],
      },
    },
  },
})

export default dbConfig
