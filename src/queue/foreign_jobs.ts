import { DelayedError, type Job } from 'bullmq'

/** How long a job of another app is left alone before a worker may take it again */
const LEFT_FOR_MS = 5_000

/**
 * Keeps a worker from running jobs that another app queued on the same
 * Redis (two apps given one namespace, or a job from before namespaces):
 * such a job is put back, delayed, for its own app's workers, neither
 * completed nor failed, and the first one met is logged.
 */
export class ForeignJobs {
  #warned = false

  constructor(
    private identity: string,
    private warn: (message: string) => void
  ) {}

  isForeign(payload: { app?: string }) {
    return payload.app !== this.identity
  }

  /**
   * Puts the job back for its own app; what is thrown tells BullMQ that the
   * job moved, so that it is neither completed nor failed.
   */
  async leave(job: Job): Promise<never> {
    if (!this.#warned) {
      this.#warned = true
      this.warn(
        `adonis-exo: queue "${job.queueName}" holds jobs of another app, left for that app's ` +
          'workers. Apps that share a Redis need namespaces of their own ("namespace" in config/exo.ts)'
      )
    }
    await job.moveToDelayed(Date.now() + LEFT_FOR_MS, job.token)
    throw new DelayedError()
  }
}
