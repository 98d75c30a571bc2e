import app from '@adonisjs/core/services/app'
import { Job } from '@rlanz/bull-queue'
import { DELIVER_JOB, type DeliverPayload } from '../queue/pipeline_queue.js'

/**
 * Runs on bull-queue workers: attempts scheduled together, each one event
 * at one subscription.
 */
export default class DeliverJob extends Job {
  static get $$filepath() {
    return DELIVER_JOB
  }

  async handle(payload: DeliverPayload) {
    const exo = await app.container.make('exo.manager')
    if (exo.foreignJobs.isForeign(payload)) return exo.foreignJobs.leave(this.getJob())
    exo.workers.note(this.getJob())
    await exo.deliverer.deliver(payload.deliveryIds)
  }

  async rescue() {}
}
