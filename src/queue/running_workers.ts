import { Worker, type Job, type Processor, type WorkerOptions } from 'bullmq'

/** How the app configures its workers (`worker` of config/queue.ts): concurrency, locks */
export type WorkerSettings = Partial<WorkerOptions>

/**
 * The workers of this process that run Exo's jobs: those `exo:work` starts,
 * and the bull-queue workers that have run one. bull-queue keeps no handle
 * on the workers it starts, and when the app terminates it closes its queues
 * only, so the database would close under the attempts under way. A job run
 * by a worker holds that worker as its `queue` (protected in BullMQ's
 * types). Exo closes these workers first when the app terminates, which
 * lets their jobs finish and log their attempts, and takes no new ones.
 */
export class RunningWorkers {
  #workers = new Set<Worker>()

  get count() {
    return this.#workers.size
  }

  /**
   * Starts a worker on each queue (`exo:work`); resolves once they listen.
   */
  async start(
    queues: string[],
    run: Processor,
    options: WorkerOptions,
    onError: (error: Error) => void
  ) {
    const workers = queues.map((queue) => {
      const worker = new Worker(queue, run, options)
      // Without a listener, an 'error' event would throw
      worker.on('error', onError)
      this.#workers.add(worker)
      return worker
    })
    await Promise.all(workers.map((worker) => worker.waitUntilReady()))
  }

  note(job: Job) {
    this.#workers.add((job as unknown as { queue: Worker }).queue)
  }

  async close() {
    await Promise.all([...this.#workers].map((worker) => worker.close()))
    this.#workers.clear()
  }
}
