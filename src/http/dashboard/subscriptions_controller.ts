import type { Exo } from '../../exo.js'
import type { HttpContext } from '@adonisjs/core/http'
import { serializeSubscription } from '../api/serializers.js'
import { currentUserId } from '../api/api_context.js'
import { page } from '../api/pagination.js'
import {
  createSubscriptionValidator,
  listSubscriptionsValidator,
  updateSubscriptionValidator,
} from '../api/validators.js'
import { subscriptionsQuery } from '../list_queries.js'
import type { Dashboard } from './dashboard.js'
import { dashboardSubscription, isAdmin, userEmails } from './dashboard_context.js'
import { FormState } from './form_state.js'
import { subscriptionFormValues, validateSubscriptionForm } from './subscription_form.js'

const PAGE_SIZE = 50

async function resourceList(exo: Exo) {
  const resources = await exo.registry.all()
  return [...resources.values()].map(({ name, triggers, events }) => ({ name, triggers, events }))
}

/**
 * The subscriptions list and the create, edit, toggle and delete forms.
 * Every change goes through the API's validators and the subscription
 * service, as the API's own requests do.
 */
export default class SubscriptionsController {
  constructor(
    private dashboard: Dashboard,
    private exo: Exo
  ) {}

  async index(ctx: HttpContext) {
    const filters = await listSubscriptionsValidator.validate(ctx.request.qs())
    const allUsers = ctx.request.qs().scope === 'all' && (await isAdmin(this.exo, ctx))
    const rows = await subscriptionsQuery(filters, PAGE_SIZE, allUsers ? null : currentUserId(ctx))
    const emails = await userEmails(
      this.exo,
      rows.flatMap((row) => [row.userId, row.updatedBy])
    )
    const list = page(
      rows,
      PAGE_SIZE,
      (row) => Number(row.id),
      (row) => ({
        ...serializeSubscription(row),
        owner: emails.get(Number(row.userId)) ?? null,
        updated_by: row.updatedBy === null ? null : (emails.get(Number(row.updatedBy)) ?? null),
      })
    )
    return this.dashboard.render(ctx, 'pages/dashboard', {
      subscriptions: list.data,
      nextCursor: list.next_cursor,
      scope: allUsers ? 'all' : 'mine',
      filters,
      resources: await resourceList(this.exo),
    })
  }

  async create(ctx: HttpContext) {
    const resources = await resourceList(this.exo)
    const chosen = String(ctx.request.qs().resource ?? resources[0]?.name ?? '')
    return this.#renderForm(ctx, 'pages/webhooks/create', null, chosen)
  }

  async store(ctx: HttpContext) {
    const validated = await validateSubscriptionForm(
      createSubscriptionValidator,
      ctx.request.body()
    )
    const subscription = await this.exo.subscriptions.create(ctx.exoUser!, validated)
    this.dashboard.flash.set(ctx, 'exo_secret', subscription.secret)
    this.dashboard.notify(ctx, 'success', `Subscription "${subscription.name}" created`)
    return ctx.response.redirect().toRoute('exo.webhooks.show', { id: subscription.id })
  }

  async edit(ctx: HttpContext) {
    const subscription = await dashboardSubscription(this.exo, ctx)
    return this.#renderForm(
      ctx,
      'pages/webhooks/edit',
      serializeSubscription(subscription),
      subscription.resource
    )
  }

  async update(ctx: HttpContext) {
    const subscription = await dashboardSubscription(this.exo, ctx)
    const validated = await validateSubscriptionForm(
      updateSubscriptionValidator,
      ctx.request.body(),
      subscription
    )
    await this.exo.subscriptions.update(subscription, validated, ctx.exoUser!)
    this.dashboard.notify(ctx, 'success', `Subscription "${subscription.name}" saved`)
    return ctx.response.redirect().toRoute('exo.webhooks.show', { id: subscription.id })
  }

  async toggle(ctx: HttpContext) {
    const subscription = await dashboardSubscription(this.exo, ctx)
    await this.exo.subscriptions.update(
      subscription,
      { is_active: !subscription.isActive },
      ctx.exoUser!
    )
    this.dashboard.notify(
      ctx,
      'success',
      `Subscription "${subscription.name}" ${subscription.isActive ? 'enabled' : 'paused'}`
    )
    return this.dashboard.back(ctx)
  }

  async confirmDestroy(ctx: HttpContext) {
    const subscription = await dashboardSubscription(this.exo, ctx)
    return this.dashboard.render(ctx, 'pages/webhooks/delete', {
      subscription: serializeSubscription(subscription),
    })
  }

  async destroy(ctx: HttpContext) {
    const subscription = await dashboardSubscription(this.exo, ctx)
    await this.exo.subscriptions.delete(subscription)
    this.dashboard.notify(ctx, 'success', `Subscription "${subscription.name}" deleted`)
    return ctx.response.redirect().toRoute('exo.dashboard')
  }

  async #renderForm(
    ctx: HttpContext,
    view: string,
    subscription: ReturnType<typeof serializeSubscription> | null,
    resource: string
  ) {
    return this.dashboard.render(ctx, view, {
      subscription,
      values: subscriptionFormValues(
        subscription,
        FormState.of(this.dashboard.flash, ctx).input,
        resource
      ),
      resources: await resourceList(this.exo),
    })
  }
}
