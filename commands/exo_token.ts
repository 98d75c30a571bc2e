import { args, BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

export default class ExoToken extends BaseCommand {
  static commandName = 'exo:token'
  static description = 'Create, list or revoke the Exo API tokens of a user'
  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Email of an existing user' })
  declare email: string

  @flags.string({ description: 'Name of the new token' })
  declare name?: string

  @flags.boolean({ description: 'List the user’s tokens instead of creating one' })
  declare list?: boolean

  @flags.string({ description: 'Revoke the token with this id' })
  declare revoke?: string

  async run() {
    const { default: exo } = await import('../services/main.js')
    const User = await exo.userModel()
    const user = await User.findBy('email', this.email)
    if (!user) {
      this.logger.error(`No user has the email "${this.email}"`)
      this.exitCode = 1
      return
    }
    const tokens = await exo.tokens()

    if (this.list) {
      const table = this.ui.table().head(['id', 'name', 'created', 'last used', 'expires'])
      for (const token of await tokens.all(user)) {
        table.row([
          String(token.identifier),
          token.name ?? '',
          token.createdAt.toISOString(),
          token.lastUsedAt?.toISOString() ?? 'never',
          token.expiresAt?.toISOString() ?? 'never',
        ])
      }
      table.render()
      return
    }

    if (this.revoke) {
      const deleted = await tokens.delete(user, this.revoke)
      if (deleted === 0) {
        this.logger.error(`${this.email} has no token with the id "${this.revoke}"`)
        this.exitCode = 1
        return
      }
      this.logger.success(`Revoked token ${this.revoke}`)
      return
    }

    const token = await tokens.create(user, ['*'], { name: this.name ?? 'cli' })
    this.logger.success(`Created token ${token.identifier} for ${this.email}; it is shown once:`)
    this.logger.log(token.value!.release())
  }
}
