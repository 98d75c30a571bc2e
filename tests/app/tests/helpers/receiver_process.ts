import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import app from '@adonisjs/core/services/app'
import { eventually } from '#tests/helpers/eventually'

/**
 * A receiver of tests/fixtures (`script`) in a process of its own, with
 * `env` on top of the run's, and the JSON lines it prints: first `{port}`,
 * then what it says of each request.
 */
export async function startReceiverProcess(script: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [`tests/fixtures/${script}`], {
    cwd: app.appRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines: any[] = []
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line)))
  const exited = once(child, 'exit')
  const [{ port }] = await eventually(
    async () => lines,
    (printed) => printed.length > 0 || child.exitCode !== null
  )
  return {
    url: `http://127.0.0.1:${port}/hook`,
    /** What it printed of each request, the port's line left out */
    requests: () => lines.slice(1),
    exitCode: () => child.exitCode,
    async stop() {
      child.kill('SIGTERM')
      await exited
    },
  }
}
