import env from '#start/env'
import { defineConfig } from '@rlanz/bull-queue'

export default defineConfig({
  defaultConnection: {
    host: env.get('QUEUE_REDIS_HOST'),
    port: env.get('QUEUE_REDIS_PORT'),
    password: env.get('QUEUE_REDIS_PASSWORD'),
  },
  queue: {},
  worker: {
    concurrency: env.get('QUEUE_CONCURRENCY', 20),
    lockDuration: env.get('QUEUE_LOCK_DURATION', 30_000),
    stalledInterval: env.get('QUEUE_STALLED_INTERVAL', 30_000),
  },
  jobs: { attempts: 3, removeOnComplete: 100, removeOnFail: 100 },
})
