import { test } from '@japa/runner'
import type { Assert } from '@japa/assert'
import db from '@adonisjs/lucid/services/db'
import Note from '#models/note'
import Order from '#models/order'
import { WebhookEvent } from 'adonis-exo'
import { subscribedReceiver } from '#tests/helpers/fixtures'
import type { Receiver } from '#tests/helpers/receiver'
import { deleteSubscriptions } from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'
import { PrivateRedis, restartRedis, sweepOnceRedisAnswers } from '#tests/helpers/redis_server'

/** Events (or response bodies) sent together: together they hold about 20 MB */
const COUNT = 300

/**
 * A note body of about 55,000 characters, as much as MySQL's TEXT column
 * holds, full of the quotes and backslashes that escaping makes longer.
 */
const BIG_BODY = 'say "hi" \\ '.repeat(5_000)

/** What the response body of an attempt is cut to */
const RESPONSE_BODY_LIMIT = 64 * 1024

const isSuccess = (row: { status: string }) => row.status === 'success'

/**
 * An admin's subscription to deleted notes, at a receiver closed after the
 * test, and notes with big bodies, written without events (notes send
 * `on_delete` only).
 */
async function bigNotesWatched(cleanup: Parameters<typeof subscribedReceiver>[0]) {
  const { receiver } = await subscribedReceiver(cleanup, {
    user: { isAdmin: true },
    subscription: { resource: 'note', events: ['on_delete'] },
  })
  const notes = await Note.createMany(Array.from({ length: COUNT }, () => ({ body: BIG_BODY })))
  return { receiver, notes }
}

/**
 * Each note's event arrived, some maybe twice: an attempt the busy test
 * process answered too late is sent again.
 */
async function eachArrived(assert: Assert, receiver: Receiver, notes: Note[]) {
  await receiver.waitFor(COUNT, 60_000)
  assert.sameMembers(
    [...new Set(receiver.received.map((request) => request.json.data.id))],
    notes.map((note) => note.id)
  )
}

/**
 * MariaDB refuses a statement over `max_allowed_packet` (16 MiB by default):
 * what many big events or response bodies come to is written in several.
 */
test.group('Large payloads | no statement grows past what the database takes', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('a transaction of big events commits, and each arrives whole', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, notes } = await bigNotesWatched(cleanup)

    await db.transaction(async (trx) => {
      for (const note of notes) {
        note.useTransaction(trx)
        await note.delete()
      }
    })

    await eachArrived(assert, receiver, notes)
    assert.isTrue(receiver.received.every((request) => request.json.data.body === BIG_BODY))
  }).timeout(120_000)

  test('big events saved together while Redis is away are all kept in the outbox', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, notes } = await bigNotesWatched(cleanup)
    const redis = PrivateRedis.current!
    await redis.stop()
    cleanup(() => redis.start().catch(() => {}))

    await Promise.all(notes.map((note) => note.delete()))

    // The outbox alone has them: written in statements the database takes
    await eventually(
      () => WebhookEvent.query().select('id').whereNull('dispatched_at').where('resource', 'note'),
      (events) => events.length === COUNT
    )
    await restartRedis()
    await sweepOnceRedisAnswers()
    await eachArrived(assert, receiver, notes)
  }).timeout(120_000)

  test('big response bodies arriving together are all logged', async ({ assert, cleanup }) => {
    const { receiver, user, subscription } = await subscribedReceiver(cleanup, {
      body: 'r'.repeat(RESPONSE_BODY_LIMIT),
    })

    await db.transaction(async (trx) => {
      for (let index = 0; index < COUNT; index++) {
        await Order.create({ userId: user.id, total: index, status: 'big-reply' }, { client: trx })
      }
    })

    await receiver.waitFor(COUNT, 60_000)
    // Not the bodies themselves: a failure message with them would be 20 MB long
    const attempts = await eventually(
      () =>
        db
          .from('exo_deliveries')
          .where('subscription_id', subscription.id)
          .select('event_id', 'status', 'error', db.raw('length(response_body) as body_length')),
      (rows) => new Set(rows.filter(isSuccess).map((row) => row.event_id)).size === COUNT,
      { timeout: 60_000 }
    )
    assert.isTrue(
      attempts.filter(isSuccess).every((row) => Number(row.body_length) === RESPONSE_BODY_LIMIT)
    )
    // A write the database refused would have left its attempts to be logged as interrupted
    assert.notExists(attempts.find((row) => String(row.error).startsWith('Interrupted')))
  }).timeout(120_000)
})
