import { Env } from '@adonisjs/core/env'

export default await Env.create(new URL('../', import.meta.url), {
  NODE_ENV: Env.schema.enum(['development', 'production', 'test'] as const),
  PORT: Env.schema.number(),
  APP_KEY: Env.schema.string(),
  HOST: Env.schema.string({ format: 'host' }),
  LOG_LEVEL: Env.schema.string(),

  SESSION_DRIVER: Env.schema.enum(['cookie', 'memory'] as const),

  DB_CONNECTION: Env.schema.enum.optional(['sqlite', 'pg', 'mysql'] as const),
  DB_HOST: Env.schema.string.optional({ format: 'host' }),
  DB_PORT: Env.schema.number.optional(),
  DB_USER: Env.schema.string.optional(),
  DB_PASSWORD: Env.schema.string.optional(),
  DB_DATABASE: Env.schema.string.optional(),
  SQLITE_FILE: Env.schema.string.optional(),

  QUEUE_REDIS_HOST: Env.schema.string({ format: 'host' }),
  QUEUE_REDIS_PORT: Env.schema.number(),
  QUEUE_REDIS_PASSWORD: Env.schema.string.optional(),
  QUEUE_CONCURRENCY: Env.schema.number.optional(),
  QUEUE_LOCK_DURATION: Env.schema.number.optional(),
  QUEUE_STALLED_INTERVAL: Env.schema.number.optional(),

  SMTP_HOST: Env.schema.string(),
  SMTP_PORT: Env.schema.string(),
  LOG_FILE: Env.schema.string.optional(),

  EXO_NAMESPACE: Env.schema.string.optional(),
  EXO_QUEUE: Env.schema.string.optional(),
  EXO_DELIVERY_TIMEOUT: Env.schema.string.optional(),
  EXO_BACKOFF: Env.schema.string.optional(),
  EXO_AUTO_DISABLE_AFTER: Env.schema.number.optional(),
  EXO_MAIL_FROM: Env.schema.string.optional(),
  EXO_ALLOW_PRIVATE_NETWORKS: Env.schema.boolean.optional(),
  EXO_DELIVERY_PROXY: Env.schema.string.optional(),
  EXO_EVENTS_LOG: Env.schema.string.optional(),
  WEBHOOK_SECRET: Env.schema.string.optional(),
})
