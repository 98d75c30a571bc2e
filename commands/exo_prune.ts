import { BaseCommand } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

export default class ExoPrune extends BaseCommand {
  static commandName = 'exo:prune'
  static description = 'Delete Exo deliveries and events older than the configured retention'
  static options: CommandOptions = { startApp: true }

  async run() {
    const { default: exo } = await import('../services/main.js')
    const { deliveries, events } = await exo.prune()
    this.logger.success(`Pruned ${deliveries} deliveries and ${events} events`)
  }
}
