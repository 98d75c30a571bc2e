import app from '@adonisjs/core/services/app'
import { Job } from '@rlanz/bull-queue'
import { FAN_OUT_JOB, type FanOutPayload } from '../queue/pipeline_queue.js'

/**
 * Runs on bull-queue workers: turns recorded events into attempts.
 */
export default class FanOutJob extends Job {
  static get $$filepath() {
    return FAN_OUT_JOB
  }

  async handle(payload: FanOutPayload) {
    const exo = await app.container.make('exo.manager')
    if (exo.foreignJobs.isForeign(payload)) return exo.foreignJobs.leave(this.getJob())
    exo.workers.note(this.getJob())
    await exo.dispatcher.fanOut(payload, { runAgain: this.getJob().attemptsStarted > 1 })
  }

  async rescue() {}
}
