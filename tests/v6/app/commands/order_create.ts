import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

/**
 * Creates an order, as the host's own code would: `node ace order:create --user=1 --total=4200`
 */
export default class OrderCreate extends BaseCommand {
  static commandName = 'order:create'
  static description = 'Create an order (a Webhookable model)'
  static options: CommandOptions = { startApp: true }

  @flags.number({ description: 'Id of the owner', required: true })
  declare user: number

  @flags.number({ description: 'Total, in cents' })
  declare total?: number

  async run() {
    const { default: Order } = await import('#models/order')
    const order = await Order.create({ userId: this.user, total: this.total ?? 4200 })
    this.logger.log(`order ${order.id}`)
  }
}
