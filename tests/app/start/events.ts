import { appendFileSync } from 'node:fs'
import emitter from '@adonisjs/core/services/emitter'
import type { ExoEventsList } from 'adonis-exo'
import env from '#start/env'

/**
 * When EXO_EVENTS_LOG names a file, adonis-exo's events are appended to it,
 * one JSON line each with the emitting process's pid: the test suite reads
 * there what its worker process (`queue:listen`) emitted. Each line also
 * carries the enumerable keys of the process's `Object.prototype`, which
 * the hostile-keys tests expect to stay empty.
 */
const log = env.get('EXO_EVENTS_LOG')

function writeTo(file: string, name: keyof ExoEventsList) {
  emitter.on(name, (payload) => {
    const prototype = Object.keys(Object.prototype)
    appendFileSync(file, `${JSON.stringify({ name, pid: process.pid, prototype, payload })}\n`)
  })
}

if (log) {
  writeTo(log, 'exo:event:recorded')
  writeTo(log, 'exo:delivery:succeeded')
  writeTo(log, 'exo:delivery:failed')
  writeTo(log, 'exo:subscription:disabled')
  writeTo(log, 'exo:subscription:failing')
}
