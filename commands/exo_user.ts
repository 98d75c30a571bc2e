import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

export default class ExoUser extends BaseCommand {
  static commandName = 'exo:user'
  static description = 'Create a user through the configured user model, with an Exo API token'
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'Email of the new user', required: true })
  declare email: string

  @flags.string({ description: 'Password of the new user', required: true })
  declare password: string

  @flags.string({ description: 'Full name of the new user' })
  declare name?: string

  async run() {
    const { default: exo } = await import('../services/main.js')
    const User = await exo.userModel()
    if (await User.findBy('email', this.email)) {
      this.logger.error(`A user with the email "${this.email}" exists already`)
      this.exitCode = 1
      return
    }
    const nameColumn = ['fullName', 'name'].find((column) => User.$hasColumn(column))
    const user = await User.create({
      email: this.email,
      password: this.password,
      ...(this.name && nameColumn ? { [nameColumn]: this.name } : {}),
    })
    this.logger.success(`Created user ${this.email}`)

    const tokens = await exo.tokens()
    const token = await tokens.create(user, ['*'], { name: 'cli' })
    this.logger.success(`Created token ${token.identifier}; it is shown once:`)
    this.logger.log(token.value!.release())
  }
}
