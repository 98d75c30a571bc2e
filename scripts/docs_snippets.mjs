/**
 * Keeps the documentation's code honest: every ```ts block of README.md and
 * docs/*.md becomes a module under tests/app/docs_snippets/ (generated, not
 * committed), type-checked by `npm run test:docs` against the package's real
 * types and the host app in tests/app, so a renamed API fails the suite.
 * Every ```json block must parse.
 *
 * A ```ts block is a whole file: it imports what it uses. The file it would
 * live in may be named on its first line (`// start/routes.ts`). Errors are
 * reported at the block's lines in the document.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'

const root = new URL('../', import.meta.url)
const output = new URL('tests/app/docs_snippets/', root)

const TSCONFIG = {
  extends: '../tsconfig.json',
  compilerOptions: { noEmit: true, noUnusedLocals: false },
  // The host app's own files come along, as config/exo.ts does in any app
  include: [
    './*.ts',
    '../adonisrc.ts',
    '../config/**/*.ts',
    '../start/**/*.ts',
    '../app/**/*.ts',
    '../tests/bootstrap.ts',
  ],
  // The host app's tsconfig excludes this folder
  exclude: [],
}

async function documents() {
  const docs = await readdir(new URL('docs/', root))
  return ['README.md', ...docs.filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)]
}

/**
 * The fenced blocks of a Markdown text, with the line each starts on.
 */
function fencedBlocks(text) {
  const blocks = []
  let open = null
  text.split('\n').forEach((line, index) => {
    const fence = /^(\s*)```(\S*)/.exec(line)
    if (open && fence && fence[2] === '') {
      blocks.push(open)
      open = null
    } else if (open) {
      open.lines.push(line)
    } else if (fence) {
      open = { language: fence[2], line: index + 1, lines: [] }
    }
  })
  if (open) throw new Error(`A code block opened on line ${open.line} is never closed`)
  return blocks
}

await rm(output, { recursive: true, force: true })
await mkdir(output, { recursive: true })

let snippets = 0
const failures = []
for (const document of await documents()) {
  const text = await readFile(new URL(document, root), 'utf8')
  for (const block of fencedBlocks(text)) {
    const code = block.lines.join('\n')
    const where = `${document}:${block.line}`
    if (block.language === 'json') {
      try {
        JSON.parse(code)
      } catch (error) {
        failures.push(`${where}: the json block does not parse: ${error.message}`)
      }
    }
    if (block.language === 'ts' || block.language === 'typescript') {
      const name = `${document.replace(/\W+/g, '_')}_line_${block.line}.ts`
      // Blank lines keep each line where it is in the document, so errors point there
      const padding = '\n'.repeat(block.line - 1)
      await writeFile(new URL(name, output), `// ${document}${padding}\n${code}\nexport {}\n`)
      snippets++
    }
  }
}
await writeFile(new URL('tsconfig.json', output), `${JSON.stringify(TSCONFIG, null, 2)}\n`)

if (snippets === 0) failures.push('No ```ts block found: the extraction is broken')
if (failures.length > 0) {
  console.error(failures.join('\n'))
  process.exit(1)
}
console.log(`${snippets} TypeScript snippets written to tests/app/docs_snippets/`)
