import { BaseCommand } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import Order from '#models/order'
import User from '#models/user'
import { DEMO_EMAIL } from '#commands/demo_setup'

/**
 * Creates one order of the demo admin, which fires an `on_create` webhook.
 */
export default class DemoOrder extends BaseCommand {
  static commandName = 'demo:order'
  static description = 'Create an order of the demo admin, so a webhook is sent'
  static options: CommandOptions = { startApp: true }

  async run() {
    const admin = await User.findBy('email', DEMO_EMAIL)
    if (!admin) {
      this.logger.error(`No demo admin yet: run "node ace demo:setup" (or "npm run demo") first`)
      this.exitCode = 1
      return
    }
    const total = 500 + Math.floor(Math.random() * 20_000)
    const order = await Order.create({ userId: admin.id, total, status: 'new' })
    this.logger.success(`Created order #${order.id} (total ${total} cents): on_create is queued`)
  }
}
