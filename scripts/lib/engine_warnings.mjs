/**
 * Sorts the EBADENGINE warnings of an app's `npm install` (scripts/lib/starter.sh): a package
 * the app gets only through adonis-exo is ours, and fails the test; one the app also gets
 * without adonis-exo (a path to the app in `npm explain` that passes no adonis-exo) is the
 * starter kit's own, and is printed as such.
 *
 *   node scripts/lib/engine_warnings.mjs <app dir> <file with npm install's output>
 *
 * Exits 1 when a warning is ours, 0 otherwise (none, or only the starter kit's own).
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const [appDir, logFile] = process.argv.slice(2)
const log = readFileSync(logFile, 'utf8')

/** `npm warn EBADENGINE   package: 'edge-lexer@6.0.5',` and the `required:` line after it */
const warnings = new Map()
for (const match of log.matchAll(/EBADENGINE\s+package: '([^']+)',\s*\n.*required: (\{[^}]*\})/g)) {
  warnings.set(match[1], match[2])
}

/**
 * Whether some path of dependents leads from the node to the app without passing adonis-exo
 */
function reachableWithoutExo(node, seen = new Set()) {
  if (node.name === 'adonis-exo') return false
  if (!node.name) return true // the app itself
  if (seen.has(node.location)) return false
  seen.add(node.location)
  return (node.dependents ?? []).some((edge) => reachableWithoutExo(edge.from, seen))
}

let ours = 0
// One `npm explain` for all of them: each run reads the whole tree
const nodes = warnings.size
  ? JSON.parse(
      execFileSync('npm', ['explain', ...warnings.keys(), '--json'], {
        cwd: appDir,
        encoding: 'utf8',
      })
    )
  : []
for (const [spec, required] of warnings) {
  const found = nodes.filter((node) => `${node.name}@${node.version}` === spec)
  if (found.some((node) => reachableWithoutExo(node))) {
    console.log(`EBADENGINE ${spec} (${required}): the starter kit's own, not adonis-exo's`)
  } else {
    ours++
    console.error(`EBADENGINE ${spec} (${required}): comes only through adonis-exo`)
  }
}
if (!warnings.size) console.log('no EBADENGINE warning')
process.exitCode = ours ? 1 : 0
