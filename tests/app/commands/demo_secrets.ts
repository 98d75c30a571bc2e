import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { WebhookSubscription } from 'adonis-exo'
import { startWithDemoSettings } from '#commands/_demo_settings'

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost'])

/**
 * Whether `url` is on the demo receiver: http, a loopback host, its port.
 */
function pointsAtReceiver(url: string, port: number) {
  if (!URL.canParse(url)) return false
  const { protocol, hostname, port: urlPort } = new URL(url)
  return protocol === 'http:' && LOOPBACK_HOSTS.has(hostname) && urlPort === String(port)
}

/**
 * The demo receiver's look-up (scripts/demo_receiver.mjs): prints, as one
 * JSON line, every subscription of the demo app whose URL is on the receiver,
 * with the secrets signing its requests now (the current one, and the
 * previous one during a rotation's grace period).
 *
 * A real receiver keeps the secret shown once when its subscription is
 * created or its secret rotated; the demo's receiver stands in for the
 * receivers of every subscription pointed at it, made in the dashboard or
 * the API while the demo runs, so it asks the app that holds them.
 */
export default class DemoSecrets extends BaseCommand {
  static commandName = 'demo:secrets'
  static description =
    'Print the signing secrets of the subscriptions pointing at the demo receiver (for its checks)'
  static options: CommandOptions = { startApp: false }

  @flags.number({ description: 'Port of the demo receiver on 127.0.0.1', default: 4000 })
  declare receiverPort: number

  async run() {
    await startWithDemoSettings(this.app)
    const subscriptions = await WebhookSubscription.query().orderBy('id')
    const pointing = subscriptions.filter((subscription) =>
      pointsAtReceiver(subscription.url, this.receiverPort)
    )
    this.logger.log(
      JSON.stringify({
        subscriptions: pointing.map((subscription) => ({
          id: subscription.id,
          name: subscription.name,
          url: subscription.url,
          is_active: subscription.isActive,
          secrets: subscription.signingSecrets(),
        })),
      })
    )
  }
}
