import { setTimeout as sleep } from 'node:timers/promises'
import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import exo from 'adonis-exo/services/main'
import { WebhookEvent } from 'adonis-exo'
import { subscribedReceiver } from '#tests/helpers/fixtures'
import { deleteSubscriptions } from '#tests/helpers/api_fixtures'

/**
 * An order event as the recorder writes it when Redis does not answer.
 */
async function leftInOutbox(ownerId: number) {
  const id = `evt_SWEEPERTEST${Date.now()}`
  await exo.outbox.insert([
    {
      id,
      resource: 'order',
      event: 'on_create',
      data: JSON.stringify({ id: 1 }),
      ownerId: String(ownerId),
      environment: 'test',
      occurredAt: '2026-03-28T14:30:00.123456Z',
    },
  ])
  return id
}

test.group('Sweeper | events left in the outbox are delivered', (group) => {
  group.each.teardown(deleteSubscriptions)

  test('an event the request could not queue is fanned out by the sweeper, once', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user } = await subscribedReceiver(cleanup)

    const id = await leftInOutbox(user.id)

    const early = await exo.sweeper.sweep()
    assert.equal(early.events, 0, 'events younger than the grace period are left to the request')

    const swept = await exo.sweeper.sweep(Date.now() + 60_000)
    assert.isAtLeast(swept.events, 1)
    const [request] = await receiver.waitFor(1)
    assert.equal(request.json.id, id)
    assert.equal(request.json.timestamp, '2026-03-28T14:30:00.123456Z')

    const event = await WebhookEvent.findOrFail(id)
    assert.isNotNull(event.dispatchedAt)
    await exo.sweeper.sweep(Date.now() + 60_000)
    await sleep(300)
    assert.lengthOf(receiver.received, 1)
  })

  test('workers sweep on their own: an event left in the outbox arrives with no one calling sweep', async ({
    assert,
    cleanup,
  }) => {
    const { receiver, user } = await subscribedReceiver(cleanup)

    const id = await leftInOutbox(user.id)
    // Older than the grace period, as if Redis had been down for a while
    await WebhookEvent.query()
      .where('id', id)
      .update({ created_at: DateTime.now().minus({ minutes: 5 }).toJSDate() })

    // The worker's sweeper runs every 15 s
    const [request] = await receiver.waitFor(1, 40_000)
    assert.equal(request.json.id, id)
  }).timeout(60_000)
})
