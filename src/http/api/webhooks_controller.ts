import type { Exo } from '../../exo.js'
import type { HttpContext } from '@adonisjs/core/http'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { idempotencyKey } from '../../subscriptions/idempotent_creates.js'
import { subscriptionsQuery } from '../list_queries.js'
import { currentTokenId, currentUserId, ownedSubscription } from './api_context.js'
import { DEFAULT_PAGE_SIZE, page } from './pagination.js'
import { serializeSubscription } from './serializers.js'
import {
  createSubscriptionValidator,
  listSubscriptionsValidator,
  rotateSecretValidator,
  updateSubscriptionValidator,
} from './validators.js'

export default class WebhooksController {
  constructor(private exo: Exo) {}

  async index(ctx: HttpContext) {
    const filters = await listSubscriptionsValidator.validate(ctx.request.qs())
    const limit = filters.limit ?? DEFAULT_PAGE_SIZE
    const query = subscriptionsQuery(filters, limit, currentUserId(ctx))
    // pg reads bigint ids as strings: the cursor keeps the number
    return page(await query, limit, (row) => Number(row.id), serializeSubscription)
  }

  /**
   * Creates a subscription; with an `Idempotency-Key`, a repeat of the same
   * request within 24 hours answers the first result again.
   */
  async store(ctx: HttpContext) {
    const key = idempotencyKey(ctx.request.headers()['idempotency-key'])
    const input = await createSubscriptionValidator.validate(ctx.request.body())
    const create = async (trx?: TransactionClientContract) => {
      const subscription = await this.exo.subscriptions.create(ctx.exoUser!, input, trx)
      return { ...serializeSubscription(subscription), secret: subscription.secret }
    }
    if (key === undefined) return ctx.response.status(201).send(await create())

    const request = { tokenId: currentTokenId(ctx), key, body: ctx.request.body() }
    const { answer, replayed } = await this.exo.idempotentCreates.answer(request, async (trx) => {
      const created = await create(trx)
      return { subscriptionId: created.id, answer: created }
    })
    if (replayed) ctx.response.header('Idempotent-Replayed', 'true')
    return ctx.response.status(201).send(answer)
  }

  async show(ctx: HttpContext) {
    return serializeSubscription(await ownedSubscription(ctx))
  }

  async update(ctx: HttpContext) {
    const subscription = await ownedSubscription(ctx)
    const input = await updateSubscriptionValidator.validate(ctx.request.body())
    await this.exo.subscriptions.update(subscription, input, ctx.exoUser!)
    return serializeSubscription(subscription)
  }

  async destroy(ctx: HttpContext) {
    const subscription = await ownedSubscription(ctx)
    await this.exo.subscriptions.delete(subscription)
    return ctx.response.noContent()
  }

  async rotateSecret(ctx: HttpContext) {
    const subscription = await ownedSubscription(ctx)
    const { grace_period: gracePeriod } = await rotateSecretValidator.validate(ctx.request.body())
    return { secret: await this.exo.subscriptions.rotateSecret(subscription, gracePeriod) }
  }

  async ping(ctx: HttpContext) {
    const subscription = await ownedSubscription(ctx)
    const result = await this.exo.subscriptions.ping(subscription)
    const answer = { http_status: result.httpStatus, duration_ms: result.durationMs }
    if (result.error === null && result.httpStatus! >= 200 && result.httpStatus! < 300) {
      return answer
    }
    return ctx.response
      .status(502)
      .send({ error: result.error ?? `HTTP ${result.httpStatus}`, ...answer })
  }
}
