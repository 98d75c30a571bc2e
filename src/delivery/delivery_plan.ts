import type { ResourceRegistry } from '../resources/registry.js'
import type { ResolvedExoConfig } from '../types.js'
import { backoffStrategy, type BackoffStrategy } from '../outcome/schedule.js'

/**
 * How a resource's events travel: the queue of their jobs and the backoff
 * schedule of their attempts.
 */
export interface DeliveryPlan {
  queue: string
  backoff: BackoffStrategy
}

export type PlanFor = (resource: string) => Promise<DeliveryPlan>

/**
 * The delivery plan of each resource: the model's `webhookQueue` and
 * `webhookBackoff` when it sets them, the configured ones otherwise. Looked
 * up once per resource.
 */
export class DeliveryPlans {
  #plans = new Map<string, Promise<DeliveryPlan>>()

  constructor(
    private registry: ResourceRegistry,
    private config: Pick<ResolvedExoConfig, 'queue' | 'delivery'>
  ) {}

  for: PlanFor = (resourceName) => {
    let plan = this.#plans.get(resourceName)
    if (!plan) {
      plan = this.registry.find(resourceName).then((resource) => ({
        queue: resource?.model.webhookQueue ?? this.config.queue,
        backoff: backoffStrategy(resource?.backoff ?? this.config.delivery.backoff),
      }))
      this.#plans.set(resourceName, plan)
    }
    return plan
  }

  /** The queue a resource's events and attempts go through */
  queueOf = async (resourceName: string): Promise<string> => {
    const plan = await this.for(resourceName)
    return plan.queue
  }
}
