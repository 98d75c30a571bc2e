process.env.NODE_ENV = 'test'
// Each run gets its own queue, so runs sharing a Redis never take each other's jobs.
process.env.EXO_QUEUE ??= `exo-test-${process.pid}`
// Names the SSRF tests resolve to private addresses, here and in the workers
process.env.EXO_TEST_HOSTS ??= JSON.stringify(TEST_HOSTS)

import 'reflect-metadata'
import { mkdir, rm } from 'node:fs/promises'
import { prettyPrintError } from '@adonisjs/core'
import { configure, processCLIArgs, run } from '@japa/runner'
import { createIgnitor } from './ignitor.js'
import { PrivateRedis } from '../tests/helpers/redis_server.js'
import { TEST_HOSTS } from '../tests/helpers/test_hosts.js'

// Tests stop and restart Redis, so the run gets a redis-server of its own;
// EXO_TEST_REDIS_AOF=<dir> makes it persist there, as production Redis does.
const appendOnlyDir = process.env.EXO_TEST_REDIS_AOF
if (appendOnlyDir) {
  await rm(appendOnlyDir, { recursive: true, force: true })
  await mkdir(appendOnlyDir, { recursive: true })
}
const redis = await PrivateRedis.create({ appendOnlyDir })
await redis.start()
PrivateRedis.current = redis
process.env.QUEUE_REDIS_PORT = String(redis.port)
process.on('exit', () => redis.stop())

// Japa sets a failing exit code after printing its summary; a run that stops
// short of it (the event loop drained mid-way) must not pass as green.
let finished = false
process.on('exit', () => {
  if (!finished) process.exitCode = 1
})

createIgnitor()
  .testRunner()
  .configure(async (app) => {
    const { runnerHooks, ...config } = await import('../tests/bootstrap.js')

    processCLIArgs(process.argv.splice(2))
    configure({
      ...app.rcFile.tests,
      ...config,
      ...{
        setup: runnerHooks.setup,
        teardown: runnerHooks.teardown.concat([() => app.terminate(), () => redis.stop()]),
      },
    })
  })
  .run(async () => {
    await run()
    finished = true
  })
  .catch((error) => {
    process.exitCode = 1
    prettyPrintError(error)
  })
