import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import app from '@adonisjs/core/services/app'
import type { TestContext } from '@japa/runner/core'
import { startWorker } from '#tests/helpers/worker'

/**
 * A second host app beside this one, sharing its Redis as apps on one
 * machine do: a copy of this app under the package's tmp/ (so its relative
 * paths still reach the package's migrations and node_modules, or it links
 * the app's own node_modules) with its own
 * package name, APP_KEY and SQLite database, its commands run with `ace`.
 * Removed when the test ends.
 */
export async function otherApp(packageName: string, cleanup: TestContext['cleanup']) {
  const root = new URL(`../../tmp/other-app-${process.pid}-${packageName}/`, app.appRoot)
  const source = fileURLToPath(app.appRoot)
  await rm(root, { recursive: true, force: true })
  await cp(source, fileURLToPath(root), {
    recursive: true,
    filter: (path) => !/^\/(tmp|node_modules)(\/|$)/.test(path.slice(source.length - 1)),
  })
  await mkdir(new URL('tmp/', root), { recursive: true })
  // An app with node_modules of its own (tests/v7/suite's copy) lends them to the copy
  const modules = new URL('node_modules', app.appRoot)
  if (existsSync(modules)) await symlink(modules, new URL('node_modules', root), 'dir')
  const manifest = new URL('package.json', root)
  const pkg = JSON.parse(await readFile(manifest, 'utf8'))
  await writeFile(manifest, JSON.stringify({ ...pkg, name: packageName }, null, 2))
  if (!process.env.KEEP_OTHER_APP) cleanup(() => rm(root, { recursive: true, force: true }))

  const env: Record<string, string> = {
    NODE_ENV: 'test',
    APP_KEY: randomBytes(24).toString('base64url'),
    DB_CONNECTION: 'sqlite',
    SQLITE_FILE: 'other.sqlite3',
    EXO_EVENTS_LOG: fileURLToPath(new URL('tmp/events.jsonl', root)),
  }
  const ace = async (...args: string[]) => {
    const { stdout } = await promisify(execFile)(process.execPath, ['ace.js', ...args], {
      cwd: fileURLToPath(root),
      env: { ...process.env, ...env },
    })
    return stdout
  }
  await ace('migration:fresh', '--force')
  return {
    root,
    ace,
    /** Its worker on `queues`, named as Redis names them */
    worker: (queues: string[]) => startWorker({ root, redisQueues: queues, env }),
    /** What its workers wrote to their logs */
    workerLog: () => readFile(new URL(`tmp/worker-${process.pid}.log`, root), 'utf8'),
  }
}
