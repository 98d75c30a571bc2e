import type { Job } from 'bullmq'
import type { Exo } from '../exo.js'
import {
  DELIVER_JOB,
  FAN_OUT_JOB,
  isSlowLane,
  type DeliverPayload,
  type FanOutPayload,
} from './pipeline_queue.js'

/**
 * Runs one of Exo's jobs, whichever worker took it (`exo:work`'s own, or
 * bull-queue's through the job classes): a job of another app is left for
 * it, a fan-out turns events into attempts, a delivery sends attempts.
 */
export async function runJob(exo: Exo, job: Job) {
  const payload = job.data as FanOutPayload | DeliverPayload
  if (exo.foreignJobs.isForeign(payload)) return exo.foreignJobs.leave(job)
  if (job.name === FAN_OUT_JOB) {
    const started = await exo.fanOut.run(payload as FanOutPayload)
    await exo.deliverer.sendStarted(started)
    if (job.attemptsStarted > 1) {
      await exo.deliverer.deliver(await exo.fanOut.leftOver(payload as FanOutPayload))
    }
  } else if (job.name === DELIVER_JOB) {
    const { deliveryIds, traces } = payload as DeliverPayload
    await exo.deliverer.deliver(deliveryIds, traces, isSlowLane(job.queueName))
  } else {
    throw new Error(`adonis-exo: no handler for the job "${job.name}"`)
  }
}
