import type { Database } from '@adonisjs/lucid/database'
import { DateTime } from 'luxon'
import { dbTime } from '../../models/db_time.js'

const HOUR = 3_600_000

/** The periods the chart can show: how many bars, each covering `step` ms */
export const CHART_RANGES = {
  '24h': { bars: 24, step: HOUR, label: 'HH:mm' },
  '7d': { bars: 28, step: 6 * HOUR, label: 'ccc HH:mm' },
  '30d': { bars: 30, step: 24 * HOUR, label: 'd LLL' },
} as const

export type ChartRange = keyof typeof CHART_RANGES

const WIDTH = 1000
const HEIGHT = 190
const LEFT = 36
const BOTTOM = 22
const TOP = 10

interface Bucket {
  start: number
  success: number
  failed: number
}

/**
 * Successful and failed attempts of a subscription per period, counted by
 * the database in one pass. The periods' bounds are written in the
 * dialect's own time format, as attempts are, so every dialect compares
 * them alike.
 */
async function countAttempts(db: Database, subscriptionId: number, range: ChartRange, end: number) {
  const { bars, step } = CHART_RANGES[range]
  const start = end - bars * step
  const client = db.connection()
  const bounds = Array.from({ length: bars }, (_, index) => start + (index + 1) * step)
  const bucket = client.raw(
    `case ${bounds.map((_, index) => `when created_at < ? then ${index}`).join(' ')} end as bucket`,
    bounds.map((bound) => dbTime(client, bound))
  )
  const attempts = client
    .from('exo_deliveries')
    .select(bucket, 'status')
    .where('subscription_id', subscriptionId)
    .where('created_at', '>=', dbTime(client, start))
    .where('created_at', '<', dbTime(client, end))
    .whereIn('status', ['success', 'failed'])
  const rows = await client
    .from(attempts.as('attempts'))
    .select('bucket', 'status')
    .count('* as total')
    .groupBy('bucket', 'status')

  const buckets: Bucket[] = Array.from({ length: bars }, (_, index) => ({
    start: start + index * step,
    success: 0,
    failed: 0,
  }))
  for (const row of rows) {
    const counted = buckets[Number(row.bucket)]
    if (counted) counted[row.status as 'success' | 'failed'] = Number(row.total)
  }
  return buckets
}

/** A round upper bound for the scale: 1, 2, 5, 10, 20, 50… */
function scaleMax(value: number) {
  let max = 1
  while (max < value) {
    const magnitude = 10 ** Math.floor(Math.log10(max))
    const mantissa = max / magnitude
    max = (mantissa < 2 ? 2 : mantissa < 5 ? 5 : 10) * magnitude
  }
  return max
}

/**
 * The chart of a subscription's attempts over `range`, ending now: stacked
 * bars (successes below failures) laid out for an SVG of WIDTH × HEIGHT.
 */
export async function activityChart(
  db: Database,
  subscriptionId: number,
  range: ChartRange,
  now = Date.now()
) {
  const { step, label } = CHART_RANGES[range]
  const end = Math.ceil(now / step) * step
  const buckets = await countAttempts(db, subscriptionId, range, end)

  const max = scaleMax(Math.max(...buckets.map((entry) => entry.success + entry.failed)))
  const plotHeight = HEIGHT - TOP - BOTTOM
  const slot = (WIDTH - LEFT) / buckets.length
  const barWidth = Math.max(2, slot * 0.7)
  const height = (count: number) => (count / max) * plotHeight
  const time = (ms: number) => DateTime.fromMillis(ms, { zone: 'utc' })

  const bars = buckets.map((entry, index) => {
    const x = LEFT + index * slot + (slot - barWidth) / 2
    const successHeight = height(entry.success)
    const failedHeight = height(entry.failed)
    const from = time(entry.start).toFormat('d LLL HH:mm')
    const to = time(entry.start + step).toFormat('HH:mm')
    return {
      x,
      width: barWidth,
      successY: HEIGHT - BOTTOM - successHeight,
      successHeight,
      failedY: HEIGHT - BOTTOM - successHeight - failedHeight,
      failedHeight,
      title: `${from}–${to} UTC: ${entry.success} succeeded, ${entry.failed} failed`,
    }
  })
  const every = Math.ceil(buckets.length / 6)
  const labels = buckets
    .map((entry, index) => ({
      x: LEFT + index * slot + slot / 2,
      text: time(entry.start).toFormat(label),
      shown: index % every === 0,
    }))
    .filter((entry) => entry.shown)

  return {
    range,
    ranges: Object.keys(CHART_RANGES) as ChartRange[],
    width: WIDTH,
    height: HEIGHT,
    baseline: HEIGHT - BOTTOM,
    left: LEFT,
    ticks: [0, max / 2, max].filter(Number.isInteger).map((value) => ({
      value,
      y: HEIGHT - BOTTOM - height(value),
    })),
    bars,
    labels,
    totals: {
      success: buckets.reduce((sum, entry) => sum + entry.success, 0),
      failed: buckets.reduce((sum, entry) => sum + entry.failed, 0),
    },
  }
}
