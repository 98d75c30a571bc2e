import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The queue job that carries each attempt: attempts scheduled together
 * travel in one job, and the sweeper looks the job up before queueing an
 * attempt again, so that a job still waiting is never doubled.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('exo_deliveries', (table) => {
      table.string('job_id', 40).nullable()
    })
  }

  async down() {
    this.schema.alterTable('exo_deliveries', (table) => {
      table.dropColumn('job_id')
    })
  }
}
