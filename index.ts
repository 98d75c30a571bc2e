export { configure } from './configure.js'
export { stubsRoot } from './stubs/main.js'
export { defineConfig } from './src/define_config.js'
export { Webhookable } from './src/resources/webhookable.js'
export * as errors from './src/errors.js'
export { Exo } from './src/exo.js'
export { ExoSigner, type Signer, type SignedMessage } from './src/delivery/signer.js'
export {
  ScheduleBackoff,
  retryAfterMs,
  type BackoffStrategy,
  type FailedAttempt,
} from './src/outcome/schedule.js'
export type { HostLookup } from './src/delivery/destination_guard.js'
export { WebhookSubscription } from './src/models/webhook_subscription.js'
export { WebhookEvent } from './src/models/webhook_event.js'
export { WebhookDelivery } from './src/models/webhook_delivery.js'
export { TRIGGERS } from './src/types.js'
export type {
  ExoConfig,
  ResolvedExoConfig,
  Trigger,
  Duration,
  EventName,
  DomainEventDeclaration,
  JsonSchema,
} from './src/types.js'
export type { EmitOptions } from './src/resources/model_changes.js'
export type { EventType } from './src/resources/event_catalog.js'
export type { EventsFake, EventPredicate, ResourceRef } from './src/testing/events_fake.js'
export type {
  ExoEvent,
  ExoEventsList,
  AttemptSummary,
  DeliveryFailure,
  SubscriptionDisabled,
  SubscriptionFailing,
} from './src/lifecycle_events.js'
