import {
  context,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api'
import type { AttemptRow } from '../delivery/attempt_log.js'
import type { SendResult } from '../delivery/sender.js'
import type { EventRecord } from '../types.js'
import { ATTR, type OutcomeLabel } from './attributes.js'
import { carrierOf, contextOf, type TraceCarrier } from './trace_context.js'

let current: { provider: TracerProvider; tracer: Tracer } | undefined

/**
 * The tracer of the provider registered now: looked up again when the app
 * registers its SDK after Exo started, or registers another.
 */
function tracer(): Tracer {
  const provider = trace.getTracerProvider()
  if (current?.provider !== provider)
    current = { provider, tracer: provider.getTracer('adonis-exo') }
  return current.tracer
}

function eventAttributes(event: Pick<EventRecord, 'id' | 'resource' | 'event'>): Attributes {
  return {
    [ATTR.eventId]: event.id,
    [ATTR.resource]: event.resource,
    [ATTR.eventName]: event.event,
  }
}

/**
 * The receiver's host and port only: a path or a query may hold a secret
 * (Slack's and Discord's webhook URLs do), and so may a URL's user info.
 */
function serverAttributes(url: string): Attributes {
  if (!URL.canParse(url)) return {}
  const { hostname, port, protocol } = new URL(url)
  return {
    [ATTR.serverAddress]: hostname.replace(/^\[|\]$/g, ''),
    [ATTR.serverPort]: Number(port) || (protocol === 'https:' ? 443 : 80),
  }
}

/** What a span says of an error it ends on: its kind, never its message, which may quote data */
function markFailed(span: Span, error: unknown) {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown }
  span.setAttribute(ATTR.errorType, String(code ?? name ?? 'Error'))
  span.setStatus({ code: SpanStatusCode.ERROR })
}

/**
 * Marks the recording of `event` with a span (`exo.record`), a child of the
 * active one (the app's request, say), and returns its carrier, which the
 * event's jobs take to the workers.
 */
export function traceRecord(event: EventRecord): TraceCarrier | undefined {
  const span = tracer().startSpan('exo.record', {
    kind: SpanKind.PRODUCER,
    attributes: eventAttributes(event),
  })
  span.end()
  return carrierOf(trace.setSpan(context.active(), span))
}

/**
 * The span of an event's fan-out (`exo.fan_out`), in the trace of its
 * recording; `endFanOut` ends it.
 */
export function startFanOut(event: EventRecord): Span {
  return tracer().startSpan(
    'exo.fan_out',
    { kind: SpanKind.CONSUMER, attributes: eventAttributes(event) },
    contextOf(event.trace)
  )
}

/** Ends fan-out spans with the number of attempts each event got */
export function endFanOut(spans: Map<string, Span>, attemptsByEvent: Map<string, unknown[]>) {
  for (const [eventId, span] of spans) {
    span.setAttribute(ATTR.fanOutAttempts, attemptsByEvent.get(eventId)?.length ?? 0)
    span.end()
  }
}

export function failFanOut(spans: Map<string, Span>, error: unknown) {
  for (const span of spans.values()) {
    markFailed(span, error)
    span.end()
  }
}

/**
 * Runs one attempt in its span (`exo.deliver`, the HTTP client's), in the
 * trace of its event's recording: the request's spans that the app's
 * instrumentation makes, and the outcome's queries, are its children.
 */
export async function tracingAttempt<T>(
  attempt: { delivery: AttemptRow; url: string; event: EventRecord },
  work: (span: Span) => Promise<T>
): Promise<T> {
  const { delivery, url, event } = attempt
  const span = tracer().startSpan(
    'exo.deliver',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        ...eventAttributes(event),
        [ATTR.subscriptionId]: delivery.subscriptionId,
        [ATTR.deliveryId]: delivery.id,
        [ATTR.attemptNumber]: delivery.attempt,
        [ATTR.httpMethod]: 'POST',
        ...serverAttributes(url),
      },
    },
    contextOf(event.trace)
  )
  try {
    return await context.with(trace.setSpan(context.active(), span), () => work(span))
  } catch (error) {
    markFailed(span, error)
    throw error
  } finally {
    span.end()
  }
}

/**
 * What the receiver answered, on the attempt's span: its status, and the
 * attempt's error (never the response body) when it failed.
 */
export function describeAttempt(span: Span, result: SendResult, outcome: OutcomeLabel) {
  span.setAttribute(ATTR.outcome, outcome)
  if (result.httpStatus !== null) span.setAttribute(ATTR.httpStatus, result.httpStatus)
  if (outcome !== 'success') {
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: result.error ?? `HTTP ${result.httpStatus}`,
    })
  }
}
