/**
 * The attribute names of Exo's spans and metrics: the pipeline's own under
 * `exo.`, the HTTP request's as OpenTelemetry's semantic conventions name
 * them. Metrics carry only those of few values (no ids).
 */
export const ATTR = {
  resource: 'exo.resource',
  eventName: 'exo.event.name',
  eventId: 'exo.event.id',
  subscriptionId: 'exo.subscription.id',
  deliveryId: 'exo.delivery.id',
  attemptNumber: 'exo.attempt.number',
  outcome: 'exo.attempt.outcome',
  fanOutAttempts: 'exo.fan_out.attempts',
  httpMethod: 'http.request.method',
  httpStatus: 'http.response.status_code',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  errorType: 'error.type',
} as const

/** How an attempt ended: sent (success, failed), or closed without an answer */
export type OutcomeLabel = 'success' | 'failed' | 'cancelled' | 'interrupted'
