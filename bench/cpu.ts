import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Database } from '@adonisjs/lucid/database'
import { median, round } from './stats.js'

/** Clock ticks per second of /proc's CPU times */
const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100
  } catch {
    return 100
  }
})()

/** The processes of a run, by what they do; PostgreSQL's are looked up at each sample */
export interface ProcessRoles {
  web: number[]
  exo_worker: number[]
  raw_worker: number[]
  receiver: number[]
  redis: number[]
}

type Role = keyof ProcessRoles | 'postgres'
type Sample = Map<Role, Map<number, number>>

/** User and system CPU seconds of a process, or null when /proc does not have it */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which may hold spaces: utime and stime are the 12th and 13th
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS
  } catch {
    return null
  }
}

/**
 * CPU time the benchmark's processes spend over a stretch of it, per role:
 * this process (the host app's web side), each side's workers, the receiver,
 * redis-server and every PostgreSQL process (read from /proc, so on Linux
 * and when PostgreSQL runs on this machine; otherwise that role is absent).
 */
export class CpuMeter {
  constructor(
    private roles: ProcessRoles,
    private db: Database
  ) {}

  async #sample(): Promise<Sample> {
    const { rows } = await this.db.rawQuery('select pid from pg_stat_activity')
    const pids: [Role, number[]][] = [
      ...(Object.entries(this.roles) as [Role, number[]][]),
      ['postgres', rows.map((row: { pid: number }) => row.pid)],
    ]
    const sample: Sample = new Map()
    for (const [role, list] of pids) {
      const times = new Map<number, number>()
      for (const pid of list) {
        const seconds = cpuSeconds(pid)
        if (seconds !== null) times.set(pid, seconds)
      }
      if (times.size > 0) sample.set(role, times)
    }
    return sample
  }

  /**
   * Starts measuring; the function returned stops and gives milliseconds of
   * CPU per role and in all. A process started meanwhile counts from its start.
   */
  async start() {
    const before = await this.#sample()
    return async () => {
      const after = await this.#sample()
      const used: Partial<Record<Role | 'total', number>> = {}
      let total = 0
      for (const [role, times] of after) {
        let seconds = 0
        times.forEach((value, pid) => (seconds += value - (before.get(role)?.get(pid) ?? 0)))
        used[role] = seconds * 1000
        total += seconds * 1000
      }
      used.total = total
      return used
    }
  }
}

export type CpuUse = Awaited<ReturnType<Awaited<ReturnType<CpuMeter['start']>>>>

/** Processes finish the work of a stretch (outcomes written, jobs completed) this long after it */
const SETTLE_MS = 100

/**
 * Runs `task` and returns its result with the CPU milliseconds each role
 * spent per event, `events` being what the task went through.
 */
export async function cpuPerEvent<Result>(
  meter: CpuMeter,
  events: number,
  task: () => Promise<Result>
) {
  const stop = await meter.start()
  const result = await task()
  await sleep(SETTLE_MS)
  const used = await stop()
  const perEvent = Object.fromEntries(
    Object.entries(used).map(([role, ms]) => [role, round(ms / events, 3)])
  ) as CpuUse
  return { result, cpu: perEvent }
}

/**
 * The median over rounds of each role's CPU per event.
 */
export function medianCpu(rounds: CpuUse[]): CpuUse {
  const roles = new Set(rounds.flatMap((use) => Object.keys(use))) as Set<keyof CpuUse>
  return Object.fromEntries(
    [...roles].map((role) => [role, median(rounds.map((use) => use[role] ?? 0))])
  ) as CpuUse
}
