import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import { createdByApi } from '#tests/helpers/api'
import {
  attemptedOrder,
  attemptsOf,
  deleteSubscriptions,
  subscriptionBody,
} from '#tests/helpers/api_fixtures'
import { signedInUser } from '#tests/helpers/browser'
import { receiverFor, verifies } from '#tests/helpers/receiver'
import { ownWorker } from '#tests/helpers/worker'

type Cleanup = (fn: () => Promise<void>) => void

/**
 * A signed-in user, without JavaScript, and a subscription of theirs to a
 * receiver that answers `status`.
 */
async function subscribedUser(cleanup: Cleanup, client: ApiClient, status: number) {
  const receiver = await receiverFor(cleanup, { status })
  const { user, token, page } = await signedInUser(cleanup, { javaScript: false })
  const { id, secret } = await createdByApi(client, token, subscriptionBody(receiver.url))
  return { receiver, user, page, id, secret }
}

/**
 * One attempt per event (EXO_BACKOFF=0s): an event that failed stays failed,
 * as after an outage that outlasted the retries.
 */
test.group('Dashboard | recover failed events', (group) => {
  ownWorker(group, { EXO_BACKOFF: '0s' })
  group.each.teardown(deleteSubscriptions)

  test('counts the failed events of a window, then re-sends them once confirmed', async ({
    assert,
    client,
    cleanup,
  }) => {
    const { receiver, user, page, id, secret } = await subscribedUser(cleanup, client, 200)
    const delivered = await attemptedOrder(user, receiver, id)
    receiver.respondWith(500)
    const failed = [
      await attemptedOrder(user, receiver, id),
      await attemptedOrder(user, receiver, id),
    ]
    receiver.respondWith(200)

    await page.goto(`/exo/webhooks/${id}`)
    await page.getByLabel('Sends again the events that failed in the').selectOption('1h')
    await page.getByRole('button', { name: 'Recover…' }).click()
    assert.equal(await page.locator('#count-title').innerText(), '2 events will be re-sent')
    assert.lengthOf(receiver.received, 3, 'counting sends nothing')

    await page.getByRole('button', { name: 'Re-send 2 events' }).click()
    assert.equal(new URL(page.url()).pathname, `/exo/webhooks/${id}`)
    assert.isTrue(await page.getByText('2 failed events queued again').isVisible())
    const received = await receiver.waitFor(5)
    const resent = received.slice(3)
    assert.sameMembers(
      resent.map((request) => request.json.id),
      failed
    )
    assert.notInclude(
      resent.map((request) => request.json.id),
      delivered
    )
    for (const request of resent) assert.isTrue(verifies(secret, request))

    // Delivered now: the same window has nothing left to re-send
    await attemptsOf(
      id,
      (rows) => rows.length === 5 && rows.every((row) => row.status !== 'pending')
    )
    await page.goto(`/exo/webhooks/${id}/recover?window=1h`)
    assert.equal(await page.locator('#count-title').innerText(), 'No failed event to re-send')
    assert.equal(await page.getByRole('button', { name: /Re-send/ }).count(), 0)
  })

  test('a window typed in UTC is checked, and a wrong one names its field', async ({
    assert,
    client,
    cleanup,
  }) => {
    const { receiver, user, page, id } = await subscribedUser(cleanup, client, 500)
    // Half a minute into the minute before: a datetime-local input drops seconds of 00
    const minuteBefore = Math.floor(Date.now() / 60_000) * 60_000 - 60_000
    const since = new Date(minuteBefore + 30_000).toISOString().slice(0, 19)
    await attemptedOrder(user, receiver, id)

    await page.goto(`/exo/webhooks/${id}/recover`)
    await page.getByLabel('From (UTC)').fill(since)
    await page.getByRole('button', { name: 'Count failed events' }).click()
    assert.equal(await page.locator('#count-title').innerText(), '1 event will be re-sent')

    await page.getByLabel('Until (UTC, blank for now)').fill('2020-01-01T00:00:00')
    await page.getByRole('button', { name: 'Count failed events' }).click()
    assert.match(
      await page.locator('#until-error').innerText(),
      /until field must be a date after since/
    )
    assert.equal(await page.getByLabel('From (UTC)').inputValue(), since)
    assert.equal(await page.getByRole('button', { name: /Re-send/ }).count(), 0)
  })
})
