import type { BackoffStrategy } from './schedule.js'

/**
 * How a resource's events travel: the queue of their jobs and the backoff
 * schedule of their attempts.
 */
export interface DeliveryPlan {
  queue: string
  backoff: BackoffStrategy
}

export type PlanFor = (resource: string) => Promise<DeliveryPlan>
