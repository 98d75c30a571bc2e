import { once } from 'node:events'
import { test } from '@japa/runner'
import { Worker, type Job } from 'bullmq'
import { ForeignJobs } from '../../src/queue/foreign_jobs.js'
import { DELIVER_JOB } from '../../src/queue/pipeline_queue.js'
import { inspectedQueue, redisConnection, uniqueName } from './helpers/redis.js'

test.group('ForeignJobs', (group) => {
  group.each.timeout(10_000)

  test('a job is foreign unless it carries the identity of the app', ({ assert }) => {
    const foreignJobs = new ForeignJobs('shop', () => {})
    assert.isFalse(foreignJobs.isForeign({ app: 'shop' }))
    assert.isTrue(foreignJobs.isForeign({ app: 'blog' }))
    assert.isTrue(foreignJobs.isForeign({}), 'a job queued before apps had identities')
  })

  test('a worker puts foreign jobs back, delayed, runs its own, and warns once', async ({
    assert,
    cleanup,
  }) => {
    const name = uniqueName('foreign', cleanup)
    const queue = inspectedQueue(name, cleanup)
    const warnings: string[] = []
    const foreignJobs = new ForeignJobs('shop', (message) => warnings.push(message))

    const handled: string[] = []
    const left: string[] = []
    let allLeft: () => void
    const foreignLeft = new Promise<void>((resolve) => (allLeft = resolve))
    // As runJob does, the worker's own handler standing for the fan-out and the delivery
    const processor = async (job: Job) => {
      if (!foreignJobs.isForeign(job.data)) return void handled.push(job.id!)
      try {
        await foreignJobs.leave(job)
      } finally {
        if (left.push(job.id!) === 3) allLeft()
      }
    }
    const worker = new Worker(name, processor, { connection: redisConnection })
    cleanup(() => worker.close())
    const ownCompleted = once(worker, 'completed')

    await queue.addBulk([
      { name: DELIVER_JOB, data: { app: 'blog', deliveryIds: ['b1'] }, opts: { jobId: 'blog-1' } },
      { name: DELIVER_JOB, data: { app: 'blog', deliveryIds: ['b2'] }, opts: { jobId: 'blog-2' } },
      { name: DELIVER_JOB, data: { deliveryIds: ['old'] }, opts: { jobId: 'unnamed' } },
      { name: DELIVER_JOB, data: { app: 'shop', deliveryIds: ['s1'] }, opts: { jobId: 'shop-1' } },
    ])
    const [completed] = await ownCompleted
    await foreignLeft

    assert.equal(completed.id, 'shop-1')
    assert.deepEqual(handled, ['shop-1'])
    for (const id of ['blog-1', 'blog-2', 'unnamed']) {
      assert.equal(await queue.getJobState(id), 'delayed', id)
    }
    assert.equal(await queue.getJobState('shop-1'), 'completed')
    assert.lengthOf(warnings, 1)
    assert.include(warnings[0], `"${name}"`)
  })
})
