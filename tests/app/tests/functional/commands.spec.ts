import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import app from '@adonisjs/core/services/app'
import type { BaseCommand } from '@adonisjs/core/ace'
import ExoToken from 'adonis-exo/commands/exo_token'
import ExoUser from 'adonis-exo/commands/exo_user'
import exo from 'adonis-exo/services/main'
import User from '#models/user'
import { exoApi } from '#tests/helpers/api'
import { createUser } from '#tests/helpers/fixtures'

/**
 * Runs an Exo command in-process, as `node ace` would, with its output kept
 * in memory: what it printed, line by line, and its exit code.
 */
async function run(Command: typeof BaseCommand, argv: string[]) {
  const ace = await app.container.make('ace')
  ace.ui.switchMode('raw')
  const command = await ace.create(Command, argv)
  await command.exec()
  const lines = command.logger
    .getLogs()
    .flatMap((log) => log.message.split('\n'))
    .filter((line) => line.trim() !== '')
  return { lines, output: lines.join('\n'), exitCode: command.exitCode ?? 0, error: command.error }
}

function whoami(client: ApiClient, token: string) {
  return exoApi(client, token).get('/whoami')
}

/** The token: the last line, and nothing else on it */
function printedToken(lines: string[]) {
  const last = lines.at(-1)!
  if (!/^exo_\S+$/.test(last)) throw new Error(`The last line is not a token alone: "${last}"`)
  return last
}

/**
 * The `--list` table's rows whose name cell is `name`, as their non-empty
 * cells (id, name, created, last used, expires). Raw mode draws the table
 * with `|`, a terminal with box-drawing characters.
 */
function rowsNamed(lines: string[], name: string) {
  return lines
    .map((line) =>
      line
        .split(/[|│]/)
        .map((cell) => cell.trim())
        .filter((cell) => cell !== '')
    )
    .filter((cells) => cells[1] === name)
}

/** Runs `exo:token` and returns the token it printed */
async function createToken(argv: string[]) {
  const { lines } = await run(ExoToken, argv)
  return printedToken(lines)
}

/** The `--list` row of the token named `name` */
async function listedToken(address: string, name: string) {
  const { lines } = await run(ExoToken, [address, '--list'])
  const [row] = rowsNamed(lines, name)
  return row
}

function exoTokens() {
  return exo.tokens()
}

const email = () => `cli-${randomUUID()}@example.com`

test.group('Commands | exo:user and exo:token', (group) => {
  group.each.teardown(async () => {
    const ace = await app.container.make('ace')
    ace.ui.switchMode('normal')
  })

  test('exo:user creates the user and prints a token that authenticates', async ({
    assert,
    client,
  }) => {
    const address = email()
    const { lines, exitCode } = await run(ExoUser, [
      `--email=${address}`,
      '--password=correct horse battery',
      '--name=Jane Doe',
    ])
    assert.equal(exitCode, 0)

    const user = await User.findByOrFail('email', address)
    assert.equal(user.fullName, 'Jane Doe')
    const verified = await User.verifyCredentials(address, 'correct horse battery')
    assert.equal(verified.id, user.id)

    const token = printedToken(lines)
    const response = await whoami(client, token)
    response.assertStatus(200)
    response.assertBody({ id: user.id, email: address, is_admin: false })
  })

  test('exo:user refuses an email that exists, with exit code 1', async ({ assert }) => {
    const existing = await createUser()
    const { output, exitCode } = await run(ExoUser, [
      `--email=${existing.email}`,
      '--password=another-password',
    ])
    assert.equal(exitCode, 1)
    assert.include(output, `A user with the email "${existing.email}" exists already`)
    assert.notMatch(output, /exo_\S{20,}/)
    const tokens = await exoTokens()
    assert.lengthOf(await tokens.all(existing), 0)
  })

  test('exo:token prints a named token that authenticates', async ({ assert, client }) => {
    const user = await createUser()
    const { lines, exitCode } = await run(ExoToken, [user.email, '--name=deploy'])
    assert.equal(exitCode, 0)
    const token = printedToken(lines)
    const response = await whoami(client, token)
    response.assertStatus(200)
    assert.equal(response.body().id, user.id)

    const tokens = await exoTokens()
    const stored = await tokens.all(user)
    assert.deepEqual(
      stored.map(({ name }) => name),
      ['deploy']
    )
  })

  test('exo:token --list shows each token: name, created, last used', async ({
    assert,
    client,
  }) => {
    const user = await createUser()
    const used = await createToken([user.email, '--name=used-one'])
    await createToken([user.email, '--name=idle-one'])
    const response = await whoami(client, used)
    response.assertStatus(200)

    const { lines, exitCode } = await run(ExoToken, [user.email, '--list'])
    assert.equal(exitCode, 0)
    const output = lines.join('\n')
    for (const heading of ['name', 'created', 'last used']) assert.include(output, heading)

    const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
    const [usedRow] = rowsNamed(lines, 'used-one')
    const [idleRow] = rowsNamed(lines, 'idle-one')
    assert.exists(usedRow, output)
    assert.exists(idleRow, output)
    assert.match(usedRow[2], iso)
    assert.match(usedRow[3], iso)
    assert.match(idleRow[2], iso)
    assert.equal(idleRow[3], 'never')
  })

  test('exo:token --revoke revokes: the token then gets 401', async ({ assert, client }) => {
    const user = await createUser()
    const token = await createToken([user.email, '--name=to-revoke'])
    const before = await whoami(client, token)
    before.assertStatus(200)

    const [id] = await listedToken(user.email, 'to-revoke')
    const { output, exitCode } = await run(ExoToken, [user.email, `--revoke=${id}`])
    assert.equal(exitCode, 0)
    assert.include(output, `Revoked token ${id}`)

    const after = await whoami(client, token)
    after.assertStatus(401)
    after.assertBody({ message: 'Missing, invalid, expired or revoked API token' })
  })

  test('exo:token --revoke of an unknown id, or of another user’s token, exits 1', async ({
    assert,
    client,
  }) => {
    const owner = await createUser()
    const other = await createUser()
    const token = await createToken([owner.email, '--name=kept'])
    const [id] = await listedToken(owner.email, 'kept')

    for (const [address, revoke] of [
      [owner.email, '999999999'],
      [other.email, id],
    ]) {
      const { output, exitCode } = await run(ExoToken, [address, `--revoke=${revoke}`])
      assert.equal(exitCode, 1)
      assert.include(output, `${address} has no token with the id "${revoke}"`)
    }
    const response = await whoami(client, token)
    response.assertStatus(200)
  })

  test('exo:token with an unknown email exits 1 with a message', async ({ assert }) => {
    const address = email()
    for (const flags of [['--name=x'], ['--list'], ['--revoke=1']]) {
      const { output, exitCode } = await run(ExoToken, [address, ...flags])
      assert.equal(exitCode, 1, flags.join(' '))
      assert.include(output, `No user has the email "${address}"`)
      assert.notMatch(output, /exo_\S{20,}/)
    }
  })
})

test.group('Commands | exo:work', () => {
  test('--queue of a queue the app does not use exits 1, naming its queues', async ({ assert }) => {
    const child = spawn(process.execPath, ['ace.js', 'exo:work', '--queue=nope'], {
      cwd: app.makePath(),
      env: { ...process.env, NODE_ENV: 'test' },
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    const [code] = await once(child, 'close')

    const queues = await exo.queues()
    assert.equal(code, 1)
    assert.include(output, `No such queue of Exo's: nope (its queues: ${queues.join(', ')})`)
  })
})
