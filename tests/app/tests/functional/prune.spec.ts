import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { WebhookDelivery, WebhookEvent } from 'adonis-exo'
import { createUser, subscribe } from '#tests/helpers/fixtures'
import { deleteSubscriptions } from '#tests/helpers/api_fixtures'

function daysAgo(days: number) {
  return DateTime.now().minus({ days })
}

test.group('exo:prune | retention', (group) => {
  group.each.teardown(async () => {
    await deleteSubscriptions()
  })

  test('deletes deliveries and events older than the retention, keeps the rest', async ({
    assert,
  }) => {
    const user = await createUser()
    const subscription = await subscribe(user, 'http://127.0.0.1:9/hook')
    const event = (age: number, id: string) =>
      WebhookEvent.create({
        id,
        resource: 'order',
        event: 'on_create',
        data: '{}',
        ownerId: String(user.id),
        environment: 'test',
        occurredAt: daysAgo(age).toISO()!,
        dispatchedAt: daysAgo(age),
        createdAt: daysAgo(age),
      })
    const attempt = (eventId: string, age: number, status: 'success' | 'pending', id: string) =>
      WebhookDelivery.create({
        id,
        subscriptionId: subscription.id,
        eventId,
        attempt: 1,
        status,
        scheduledAt: daysAgo(age),
        createdAt: daysAgo(age),
      })

    await event(40, 'evt_PRUNE_OLD')
    await attempt('evt_PRUNE_OLD', 40, 'success', 'dlv_PRUNE_OLD')
    await event(40, 'evt_PRUNE_OLD_PENDING')
    await attempt('evt_PRUNE_OLD_PENDING', 40, 'pending', 'dlv_PRUNE_OLD_PENDING')
    await event(2, 'evt_PRUNE_RECENT')
    await attempt('evt_PRUNE_RECENT', 2, 'success', 'dlv_PRUNE_RECENT')

    const ace = await app.container.make('ace')
    const command = await ace.exec('exo:prune', [])
    assert.equal(command.exitCode, 0)

    const events = await db.from('exo_events').where('id', 'like', 'evt_PRUNE%').orderBy('id')
    const deliveries = await db
      .from('exo_deliveries')
      .where('id', 'like', 'dlv_PRUNE%')
      .orderBy('id')
    assert.deepEqual(
      events.map((row) => row.id),
      ['evt_PRUNE_OLD_PENDING', 'evt_PRUNE_RECENT']
    )
    assert.deepEqual(
      deliveries.map((row) => row.id),
      ['dlv_PRUNE_OLD_PENDING', 'dlv_PRUNE_RECENT']
    )
  })
})
