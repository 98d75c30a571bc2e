import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

export default class ExoWork extends BaseCommand {
  static commandName = 'exo:work'
  static description =
    "Deliver webhooks: run Exo's workers on the app's queues until SIGTERM or SIGINT"
  static options: CommandOptions = { startApp: true, staysAlive: true }

  @flags.number({
    description:
      'Jobs each queue runs at once (default: the worker concurrency of config/queue.ts, or 20)',
  })
  declare concurrency?: number

  async run() {
    const { default: exo } = await import('../services/main.js')
    if (
      this.concurrency !== undefined &&
      (!Number.isInteger(this.concurrency) || this.concurrency < 1)
    ) {
      this.logger.error('--concurrency must be a whole number above 0')
      this.exitCode = 1
      return this.terminate()
    }
    const queues = await exo.work({ concurrency: this.concurrency })
    this.logger.info(`Exo workers listening on ${queues.join(', ')}`)
  }
}
