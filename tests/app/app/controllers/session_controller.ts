import type { HttpContext } from '@adonisjs/core/http'
import User from '#models/user'

/**
 * The host app's own login, apart from the Exo dashboard's.
 */
export default class SessionController {
  async store({ request, auth, response }: HttpContext) {
    const { email, password } = request.only(['email', 'password'])
    const user = await User.verifyCredentials(email, password)
    await auth.use('web').login(user)
    return response.redirect('/me')
  }

  async show({ auth }: HttpContext) {
    return { email: auth.getUserOrFail().email }
  }

  async destroy({ auth, response }: HttpContext) {
    await auth.use('web').logout()
    return response.redirect('/')
  }
}
