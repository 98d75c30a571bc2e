import { BaseCommand } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

export default class ExoPrune extends BaseCommand {
  static commandName = 'exo:prune'
  static description =
    'Delete Exo deliveries and events older than the configured retention, and idempotency keys older than 24 hours'
  static options: CommandOptions = { startApp: true }

  async run() {
    const { default: exo } = await import('../services/main.js')
    const { deliveries, events, idempotencyKeys } = await exo.prune()
    this.logger.success(
      `Pruned ${deliveries} deliveries, ${events} events and ${idempotencyKeys} idempotency keys`
    )
  }
}
