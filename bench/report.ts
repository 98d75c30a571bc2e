import { round } from './stats.js'

interface Figure {
  /** The key: a ratio, or an absolute figure */
  value: number
  /** The absolute figures behind it */
  detail: Record<string, any>
}

export interface Results {
  machine: Record<string, unknown>
  load: { at_start: string; at_end?: string }
  settings: Record<string, unknown>
  duration_s?: number
  hook_overhead?: Figure
  hook_overhead_trx?: Figure
  throughput?: Figure
  latency?: Figure
  fanout?: Figure
  fanout_filtered?: Figure
  deliveries_list?: Figure
  endpoint_stats?: Figure
  slow_endpoint?: Figure
}

/** All processes' CPU, or a dash where /proc could not be read */
const cpu = (use: { total?: number }) => (use.total ? round(use.total) : '–')

type Scenario = Exclude<keyof Results, 'machine' | 'load' | 'settings' | 'duration_s'>

/**
 * The keys, their targets on a 2-core machine, the scenario each
 * comes from, and the absolute figures the table shows next to it.
 */
const KEYS: Record<
  string,
  { scenario: Scenario; at: 'most' | 'least'; bound: number; absolute: (detail: any) => string }
> = {
  hook_overhead_ratio: {
    scenario: 'hook_overhead',
    at: 'most',
    bound: 1.3,
    absolute: (d) => `${d.exo_us_per_create} vs ${d.plain_us_per_create} µs per create`,
  },
  hook_overhead_trx_ratio: {
    scenario: 'hook_overhead_trx',
    at: 'most',
    bound: 1.15,
    absolute: (d) =>
      `${round(d.exo_us_per_transaction / 1000)} vs ${round(d.plain_us_per_transaction / 1000)} ms per transaction`,
  },
  throughput_ratio: {
    scenario: 'throughput',
    at: 'least',
    bound: 0.6,
    absolute: (d) =>
      `${d.exo_deliveries_per_s} vs ${d.raw_deliveries_per_s} deliveries/s; ` +
      `CPU ${cpu(d.cpu_ms_per_delivery.exo)} vs ${cpu(d.cpu_ms_per_delivery.raw)} ms per delivery`,
  },
  latency_p99_ms: {
    scenario: 'latency',
    at: 'most',
    bound: 10,
    absolute: (d) =>
      `p50 ${d.exo.p50_ms} / p99 ${d.exo.p99_ms} ms; a save without Exo p99 ${d.plain_save.p99_ms} ms; ` +
      `raw p50 ${d.raw.p50_ms} / p99 ${d.raw.p99_ms} ms; ` +
      `CPU ${cpu(d.exo.cpu_ms_per_event)} vs ${cpu(d.raw.cpu_ms_per_event)} ms per event`,
  },
  fanout_10k_s: {
    scenario: 'fanout',
    at: 'most',
    bound: 2,
    absolute: (d) => `all 10,000 delivered in ${d.all_delivered_s} s`,
  },
  fanout_10k_filtered_s: {
    scenario: 'fanout_filtered',
    at: 'most',
    bound: 2,
    absolute: (d) => `${d.attempts} of 10,000 matched, all delivered in ${d.all_delivered_s} s`,
  },
  deliveries_list_p95_ms: {
    scenario: 'deliveries_list',
    at: 'most',
    bound: 20,
    absolute: (d) =>
      `p50 ${d.first_page.p50_ms} ms; ?status=failed p95 ${d.status_failed_first_page.p95_ms} ms`,
  },
  stats_p95_ms: {
    scenario: 'endpoint_stats',
    at: 'most',
    bound: 50,
    absolute: (d) =>
      `p50 ${d.window_24h.p50_ms} ms; ?window=7d p50 ${d.window_7d.p50_ms} / p95 ${d.window_7d.p95_ms} ms`,
  },
  slow_endpoint_p99_ratio: {
    scenario: 'slow_endpoint',
    at: 'most',
    bound: 1.5,
    absolute: (d) =>
      `p99 ${d.with_hanging.p99_ms} vs ${d.without_hanging.p99_ms} ms; ` +
      `p50 ${d.with_hanging.p50_ms} vs ${d.without_hanging.p50_ms} ms (with the hanging endpoint vs without)`,
  },
}

/**
 * The figures of a run as bench/results.json keeps them, the keys
 * first; prints them as a table on the way. Keys of scenarios that did not
 * run are left out.
 */
export function report(results: Results) {
  const measured = Object.entries(KEYS).filter(([, key]) => results[key.scenario])
  const rows = measured.map(([name, key]) => {
    const { value, detail } = results[key.scenario]!
    const met = key.at === 'most' ? value <= key.bound : value >= key.bound
    return { name, value, key, detail, met }
  })

  console.log(`\nAdonisJS ${results.machine.adonisjs} on Node ${results.machine.node}`)
  console.table(
    Object.fromEntries(
      rows.map(({ name, value, key, detail, met }) => [
        name,
        {
          value,
          'target': `${key.at === 'most' ? '≤' : '≥'} ${key.bound}`,
          'met': met ? 'yes' : 'NO',
          'absolute (Exo vs without)': key.absolute(detail),
        },
      ])
    )
  )

  return {
    ...Object.fromEntries(rows.map(({ name, value }) => [name, value])),
    targets: Object.fromEntries(
      rows.map(({ name, key, met }) => [name, { at: key.at, bound: key.bound, met }])
    ),
    figures: Object.fromEntries(rows.map(({ name, detail }) => [name, detail])),
    machine: results.machine,
    load: results.load,
    settings: results.settings,
    duration_s: results.duration_s,
    measured_at: new Date().toISOString(),
  }
}
