import type { HttpContext } from '@adonisjs/core/http'
import Order from '#models/order'

export default class OrdersController {
  async store({ request, auth, response }: HttpContext) {
    const order = await Order.create({
      userId: auth.getUserOrFail().id,
      total: Number(request.input('total', 0)),
      status: 'new',
    })
    return response.created(order)
  }
}
