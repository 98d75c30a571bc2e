import { context, propagation, type Context } from '@opentelemetry/api'

/**
 * A span's context as the app's propagator writes it (W3C `traceparent` and
 * `tracestate` by default): what the jobs carry for the workers' spans.
 */
export type TraceCarrier = Record<string, string>

/**
 * The carrier of `ctx`'s span; none when no SDK is registered or the span
 * is not sampled to be passed on.
 */
export function carrierOf(ctx: Context): TraceCarrier | undefined {
  const carrier: TraceCarrier = {}
  propagation.inject(ctx, carrier)
  return Object.keys(carrier).length > 0 ? carrier : undefined
}

/**
 * The context a carrier continues, or the active one when there is none
 * (a job queued by the sweeper, or by a version without traces).
 */
export function contextOf(carrier: TraceCarrier | undefined): Context {
  return carrier ? propagation.extract(context.active(), carrier) : context.active()
}

/**
 * A delivery job carrying the trace contexts of its attempts' events, by
 * event id, when they have any.
 */
export function carryingTraces<Job extends object>(
  job: Job,
  events: Iterable<{ id: string; trace?: TraceCarrier }>
): Job & { traces?: Record<string, TraceCarrier> } {
  let traces: Record<string, TraceCarrier> | undefined
  for (const event of events) {
    if (event.trace) (traces ??= {})[event.id] = event.trace
  }
  return traces ? { ...job, traces } : job
}

/**
 * The event in the trace a delivery job carries for it, if any.
 */
export function withTrace<Event extends { id: string; trace?: TraceCarrier }>(
  event: Event,
  traces: Record<string, TraceCarrier> | undefined
): Event {
  const trace = traces && Object.hasOwn(traces, event.id) ? traces[event.id] : undefined
  return trace ? { ...event, trace } : event
}
