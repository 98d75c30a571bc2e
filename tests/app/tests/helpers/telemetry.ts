import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { metrics, propagation, trace, type Attributes } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base'

/** A finished span, from this process or a worker's, in one shape */
export interface SpanRecord {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  /** As `@opentelemetry/api`'s SpanKind numbers it */
  kind: number
  attributes: Record<string, unknown>
  /** As `@opentelemetry/api`'s SpanStatusCode numbers it (2 is ERROR) */
  status: { code: number; message?: string }
  /** Everything else the span carries (events, links, resource), for the secret scan */
  rest: unknown
}

/** One data point of a metric, from this process or a worker's */
export interface MetricPoint {
  name: string
  unit: string
  attributes: Record<string, unknown>
  /** A counter's sum or a gauge's value */
  value?: number
  /** A histogram's number of values */
  count?: number
  rest: unknown
}

/**
 * OpenTelemetry's SDK registered in the test process, as a host app's
 * otel.ts registers it, with in-memory exporters the tests read. Exo binds
 * to it on its next event; `unregister` puts the API's no-ops back.
 */
export function registerTestSdk() {
  const spans = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  })
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 3_600_000,
  })
  const meterProvider = new MeterProvider({ readers: [reader] })
  trace.setGlobalTracerProvider(tracerProvider)
  metrics.setGlobalMeterProvider(meterProvider)
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())

  return {
    spans: () => spans.getFinishedSpans().map(fromSdkSpan),
    async metrics() {
      const { resourceMetrics } = await reader.collect()
      return fromSdkMetrics(resourceMetrics)
    },
    async unregister() {
      trace.disable()
      metrics.disable()
      propagation.disable()
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()])
    },
  }
}

function fromSdkSpan(span: ReadableSpan): SpanRecord {
  const { traceId, spanId } = span.spanContext()
  return {
    traceId,
    spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    kind: span.kind,
    attributes: span.attributes,
    status: span.status,
    rest: { events: span.events, links: span.links, resource: span.resource.attributes },
  }
}

function fromSdkMetrics(resourceMetrics: ResourceMetrics): MetricPoint[] {
  return resourceMetrics.scopeMetrics.flatMap((scope) =>
    scope.metrics.flatMap((metric) =>
      metric.dataPoints.map((point): MetricPoint => {
        const value = point.value as number | { count: number }
        return {
          name: metric.descriptor.name,
          unit: metric.descriptor.unit,
          attributes: point.attributes as Attributes,
          ...(typeof value === 'number' ? { value } : { count: value.count }),
          rest: { point, resource: resourceMetrics.resource.attributes },
        }
      })
    )
  )
}

/** An attribute value as OTLP's JSON encoding writes it */
type AnyValue = {
  stringValue?: string
  intValue?: number | string
  doubleValue?: number
  boolValue?: boolean
  arrayValue?: { values?: AnyValue[] }
}

function valueOf(value: AnyValue): unknown {
  if (value.intValue !== undefined) return Number(value.intValue)
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(valueOf)
  return value.stringValue ?? value.doubleValue ?? value.boolValue
}

function attributesOf(attributes: { key: string; value: AnyValue }[] = []) {
  return Object.fromEntries(attributes.map(({ key, value }) => [key, valueOf(value)]))
}

/**
 * A loopback OpenTelemetry collector of OTLP/HTTP in JSON, what the test
 * workers export to: every span they sent, and their latest metrics (the
 * workers export them cumulative, so the latest export has the totals).
 */
export async function startOtlpCollector() {
  const spans: SpanRecord[] = []
  let latestMetrics: MetricPoint[] = []
  let metricsWaiters: ((points: MetricPoint[]) => void)[] = []

  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk) => chunks.push(chunk))
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      if (request.url === '/v1/traces') spans.push(...spansOf(body))
      if (request.url === '/v1/metrics') {
        latestMetrics = metricsOf(body)
        for (const resolve of metricsWaiters) resolve(latestMetrics)
        metricsWaiters = []
      }
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => spans,
    metrics: () => latestMetrics,
    /** The next metrics a worker exports: totals that count all it did before the call */
    nextMetrics: () => new Promise<MetricPoint[]>((resolve) => metricsWaiters.push(resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

function spansOf(body: any): SpanRecord[] {
  return (body.resourceSpans ?? []).flatMap((resourceSpans: any) =>
    (resourceSpans.scopeSpans ?? []).flatMap((scope: any) =>
      (scope.spans ?? []).map((span: any): SpanRecord => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId || undefined,
        name: span.name,
        // OTLP counts from SPAN_KIND_UNSPECIFIED, one before the API's INTERNAL
        kind: span.kind - 1,
        attributes: attributesOf(span.attributes),
        status: { code: span.status?.code ?? 0, message: span.status?.message },
        rest: { events: span.events, links: span.links, resource: resourceSpans.resource },
      }))
    )
  )
}

function metricsOf(body: any): MetricPoint[] {
  return (body.resourceMetrics ?? []).flatMap((resourceMetrics: any) =>
    (resourceMetrics.scopeMetrics ?? []).flatMap((scope: any) =>
      (scope.metrics ?? []).flatMap((metric: any) => {
        const data = metric.sum ?? metric.gauge ?? metric.histogram
        return (data?.dataPoints ?? []).map((point: any): MetricPoint => ({
          name: metric.name,
          unit: metric.unit,
          attributes: attributesOf(point.attributes),
          ...(metric.histogram
            ? { count: Number(point.count) }
            : { value: Number(point.asInt ?? point.asDouble) }),
          rest: { point, resource: resourceMetrics.resource },
        }))
      })
    )
  )
}

/**
 * The environment of a worker that registers the SDK before the app
 * starts (`--import`, as a host's otel.ts is imported first), exporting to
 * `collectorUrl`.
 */
export function tracedWorkerEnv(collectorUrl: string) {
  const preload = fileURLToPath(new URL('../fixtures/otel_preload.mjs', import.meta.url))
  return {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim(),
    EXO_TEST_OTLP: collectorUrl,
  }
}

/**
 * The sum of the values (a counter's) or of the counts (a histogram's) of
 * the points of metric `name` whose attributes include `attributes`.
 */
export function total(
  points: MetricPoint[],
  name: string,
  attributes: Record<string, unknown> = {}
) {
  return points
    .filter((point) => point.name === name)
    .filter((point) =>
      Object.entries(attributes).every(([key, value]) => point.attributes[key] === value)
    )
    .reduce((sum, point) => sum + (point.value ?? point.count ?? 0), 0)
}
