/**
 * Sums a V8 CPU profile (`node --cpu-prof`) by where the time went: per
 * package (or the app, Node's internals, garbage collection, idle) and per
 * function. `BENCH_PROFILE=1 npm run bench` writes the profiles of the
 * workers and the API server to bench/tmp/profiles/.
 *
 *   node --import=ts-node-maintained/register/esm bench/profile_summary.ts <file.cpuprofile>
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  hitCount?: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

function owner(url: string, functionName: string) {
  if (functionName === '(garbage collector)' || functionName === '(idle)') return functionName
  if (functionName === '(program)') return '(program: native, outside JS)'
  const inPackage = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)
  if (inPackage) return inPackage[1]
  if (url.includes('/build/src/') || url.includes('/src/')) return 'adonis-exo'
  if (url.startsWith('node:') || url === '') return '(node internals)'
  return url.replace(/^file:\/\/.*\/(tests\/app|bench)\//, '$1/')
}

const file = process.argv[2]
const profile = JSON.parse(readFileSync(file, 'utf8')) as {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
}
const totalHits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0)
const byOwner = new Map<string, number>()
const byFunction = new Map<string, number>()
for (const node of profile.nodes) {
  const hits = node.hitCount ?? 0
  const { functionName, url, lineNumber } = node.callFrame
  const who = owner(url, functionName)
  byOwner.set(who, (byOwner.get(who) ?? 0) + hits)
  const where = `${functionName || '(anonymous)'} ${who}:${lineNumber + 1}`
  byFunction.set(where, (byFunction.get(where) ?? 0) + hits)
}

const top = (map: Map<string, number>, count: number) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, hits]) => ({ name, share: `${((hits / totalHits) * 100).toFixed(1)}%` }))

console.log(`${file}: ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s profiled`)
console.table(top(byOwner, 15))
console.table(top(byFunction, 25))
