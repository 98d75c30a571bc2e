import { test } from '@japa/runner'
import exo from 'adonis-exo/services/main'
import env from '#start/env'
import Order from '#models/order'
import { deleteSubscriptions } from '#tests/helpers/api_fixtures'
import { eventually } from '#tests/helpers/eventually'
import { createUser, subscribe } from '#tests/helpers/fixtures'
import { otherApp } from '#tests/helpers/other_app'
import { receiverFor } from '#tests/helpers/receiver'
import { runningWorker, startWorker } from '#tests/helpers/worker'

/** Totals of this app's orders: the other app's demo orders are all below */
const OURS = 1_000_000

/**
 * Two host apps, each with its own database and APP_KEY, on one Redis with
 * default settings. With this app's worker stopped, the other app's worker
 * runs; this app's orders must wait for this app's worker, and reach no
 * subscriber of the other app.
 */
test.group('Security | apps sharing a Redis', (group) => {
  group.each.teardown(deleteSubscriptions)

  const cases = [
    { title: 'apps of different names: queues of their own', packageName: 'other-shop' },
    {
      title: 'two deployments of one app (one namespace): jobs carry their app',
      packageName: 'exo-host-app',
    },
  ]
  for (const { title, packageName } of cases) {
    test(title, async ({ assert, cleanup }) => {
      const ourReceiver = await receiverFor(cleanup)
      const ourAdmin = await createUser({ isAdmin: true })
      await subscribe(ourAdmin, ourReceiver.url)

      const other = await otherApp(packageName, cleanup)
      const theirReceiver = await receiverFor(cleanup)
      await other.ace('demo:setup', `--receiver-port=${new URL(theirReceiver.url).port}`)

      await runningWorker.current!.stop()
      let restarted = false
      cleanup(async () => {
        if (!restarted) await startWorker()
      })
      const queue = env.get('EXO_QUEUE', 'exo-webhooks')
      const theirWorker = await other.worker([
        `${packageName}.${queue}`,
        `${packageName}.${queue}-notes`,
      ])
      cleanup(() => theirWorker.stop().then(() => {}))

      for (let index = 0; index < 10; index++) {
        await Order.create({ userId: ourAdmin.id, total: OURS + index, status: 'new' })
      }
      // Their two orders, each to their two subscriptions, come through their worker
      // after it met ours, which were queued first
      await other.ace('demo:order')
      await other.ace('demo:order')
      const theirs = await theirReceiver.waitFor(4)
      assert.deepEqual(ourReceiver.received, [], 'nothing of ours was sent meanwhile')

      await startWorker()
      restarted = true
      // Delivery is at least once, so a job may reach our worker twice; and each time
      // their worker meets one of ours first it leaves it for another 5 s: every one of
      // our ten orders must arrive, some a few rounds late
      const totals = () => new Set(ourReceiver.received.map((request) => request.json.data.total))
      await eventually(
        async () => totals().size,
        (size) => size === 10,
        { timeout: 150_000 }
      )
      assert.sameMembers(
        [...totals()],
        Array.from({ length: 10 }, (_, index) => OURS + index)
      )
      for (const request of ourReceiver.received) {
        assert.isAtLeast(request.json.data.total, OURS, 'only ours reached our receiver')
      }
      // A job runs once: all ten of ours ran in our worker, none in theirs
      assert.lengthOf(theirReceiver.received, 4, 'their subscribers got theirs only')
      for (const request of theirs) assert.isBelow(request.json.data.total, OURS)

      const theirLog = await other.workerLog()
      const warnings = theirLog.split('holds jobs of another app').length - 1
      if (packageName === 'exo-host-app') {
        assert.equal(exo.config.namespace, packageName)
        assert.equal(warnings, 1, 'the first job of ours it met was logged, once')
      } else {
        assert.equal(warnings, 0, 'it never saw a job of ours')
      }
    }).timeout(240_000)
  }
})
