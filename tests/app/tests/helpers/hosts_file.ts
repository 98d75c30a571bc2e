import { readFile, writeFile } from 'node:fs/promises'

const HOSTS = '/etc/hosts'
const MARK = '# adonis-exo security suite'

/**
 * Host names that resolve, through the system resolver as any lookup does, to
 * the addresses given: lines added to /etc/hosts (the suite runs as root on
 * its own machine) and removed by the function returned.
 */
export async function addHostNames(names: Record<string, string>) {
  const lines = Object.entries(names).map(([name, address]) => `${address} ${name} ${MARK}`)
  const original = await readFile(HOSTS, 'utf8')
  const kept = original.split('\n').filter((line) => !line.endsWith(MARK))
  await writeFile(HOSTS, [...kept.filter(Boolean), ...lines, ''].join('\n'))
  return async () => {
    const current = await readFile(HOSTS, 'utf8')
    const restored = current.split('\n').filter((line) => !line.endsWith(MARK))
    await writeFile(HOSTS, restored.join('\n'))
  }
}
