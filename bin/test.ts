import { assert } from '@japa/assert'
import { fileSystem } from '@japa/file-system'
import { configure, processCLIArgs, run } from '@japa/runner'

processCLIArgs(process.argv.splice(2))

configure({
  suites: [
    { name: 'unit', files: ['tests/unit/**/*.spec.ts'] },
    { name: 'configure', files: ['tests/configure/**/*.spec.ts'], timeout: 120_000 },
  ],
  plugins: [assert(), fileSystem({ basePath: new URL('../tmp/fs/', import.meta.url) })],
})

// Japa sets a failing exit code after printing its summary; a run that stops
// short of it (the event loop drained mid-way) must not pass as green.
let finished = false
process.on('exit', () => {
  if (!finished) process.exitCode = 1
})
await run()
finished = true
