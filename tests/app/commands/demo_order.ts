import { relative } from 'node:path'
import { BaseCommand } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import Order from '#models/order'
import User from '#models/user'
import { DEMO_EMAIL } from '#commands/demo_setup'
import { startWithDemoSettings } from '#commands/_demo_settings'

/**
 * Creates one order of the demo admin, which fires an `on_create` webhook.
 * Run in a terminal of its own, it uses the settings of the last `npm run
 * demo` (tmp/demo_settings.json), so the order reaches the demo's database
 * and the queue its worker listens on, whatever namespace or queue the demo
 * was given.
 */
export default class DemoOrder extends BaseCommand {
  static commandName = 'demo:order'
  static description = 'Create an order of the demo admin, so a webhook is sent'
  static options: CommandOptions = { startApp: false }

  async run() {
    const settings = await startWithDemoSettings(this.app)
    const admin = await User.findBy('email', DEMO_EMAIL)
    if (!admin) {
      this.logger.error(`No demo admin yet: run "npm run demo" (or "node ace demo:setup") first`)
      this.exitCode = 1
      return
    }
    const total = 500 + Math.floor(Math.random() * 20_000)
    const order = await Order.create({ userId: admin.id, total, status: 'new' })
    const exo = await this.app.container.make('exo.manager')
    const [queue] = await exo.queueNames()
    const from = settings
      ? `the demo's settings, ${relative(this.app.makePath(), settings)}`
      : "the app's .env (no demo has run yet)"
    this.logger.success(
      `Created order #${order.id} (total ${total} cents): on_create is queued on ${queue} (${from})`
    )
  }
}
