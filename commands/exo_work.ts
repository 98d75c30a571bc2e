import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

export default class ExoWork extends BaseCommand {
  static commandName = 'exo:work'
  static description =
    "Deliver webhooks: run Exo's workers on the app's queues until SIGTERM or SIGINT"
  static options: CommandOptions = { startApp: true, staysAlive: true }

  @flags.number({
    description:
      'Jobs each queue, and each slow lane, runs at once (default: the worker concurrency of config/queue.ts, or 20)',
  })
  declare concurrency?: number

  @flags.array({
    description:
      "Only this one of the app's queues (and its slow lane), as config/exo.ts and webhookQueue name it; repeat for several (default: all)",
  })
  declare queue?: string[]

  async run() {
    const { default: exo } = await import('../services/main.js')
    if (
      this.concurrency !== undefined &&
      (!Number.isInteger(this.concurrency) || this.concurrency < 1)
    ) {
      return this.#fail('--concurrency must be a whole number above 0')
    }
    try {
      const queues = await exo.work({ concurrency: this.concurrency, only: this.queue })
      this.logger.info(`Exo workers listening on ${queues.join(', ')}`)
    } catch (error) {
      if (error.code !== 'E_EXO_UNKNOWN_QUEUE') throw error
      return this.#fail(error.message)
    }
  }

  /**
   * Ends the command with exit code 1. Ace reads the exit code of a command
   * that stays alive when the app terminates, and this one terminates
   * before ace listens for that, so the process is told directly.
   */
  #fail(message: string) {
    this.logger.error(message)
    this.exitCode = 1
    process.exitCode = 1
    return this.terminate()
  }
}
