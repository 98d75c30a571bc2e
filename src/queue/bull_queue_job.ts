import exo from '../../services/main.js'
import { Job } from '@rlanz/bull-queue'
import { runJob } from './job_handlers.js'
import { DELIVER_JOB } from './pipeline_queue.js'

/**
 * Exo's jobs on bull-queue's workers (`queue:listen`), which import the
 * module a job is named after (`adonis-exo/jobs/fan_out`,
 * `adonis-exo/jobs/deliver`): both modules export this class, and `runJob`
 * tells the jobs apart by name.
 */
export default class ExoJob extends Job {
  /** bull-queue asks its jobs for one; Exo queues its jobs itself, by name */
  static get $$filepath() {
    return DELIVER_JOB
  }

  async handle() {
    exo.workers.note(this.getJob())
    await runJob(exo, this.getJob())
  }

  async rescue() {}
}
