/**
 * Rows per INSERT: below every dialect's limit on bound parameters, and below
 * SQLite's 500 terms of a compound SELECT, which Knex writes its rows as
 */
export const ROWS_PER_INSERT = 400

/**
 * Characters of payload (events, response bodies) one statement or job
 * carries at most, unless a single row holds more. Escaped or encoded, a
 * character takes three bytes at most: 12 MiB, below MariaDB's default
 * `max_allowed_packet` of 16 MiB.
 */
export const CHARS_PER_STATEMENT = 4 * 1024 * 1024

/** What the items of a chunk weigh in all at most, unless its first item alone weighs more */
export interface Weight<T> {
  max: number
  of(item: T): number
}

/** How much a chunk holds: `count` items, and their `weight` */
export interface ChunkLimits<T> {
  count: number
  weight?: Weight<T>
}

/** How many of `items`, from `start` on, the next chunk takes */
function nextChunkLength<T>(items: T[], start: number, { count, weight }: ChunkLimits<T>) {
  if (!weight) return Math.min(count, items.length - start)
  let length = 0
  let total = 0
  while (start + length < items.length && length < count) {
    total += weight.of(items[start + length])
    if (length > 0 && total > weight.max) break
    length++
  }
  return length
}

export function chunks<T>(items: T[], limits: number | ChunkLimits<T>): T[][] {
  const bounds = typeof limits === 'number' ? { count: limits } : limits
  const result: T[][] = []
  for (let start = 0; start < items.length;) {
    const length = nextChunkLength(items, start, bounds)
    result.push(items.slice(start, start + length))
    start += length
  }
  return result
}

/** `Map.groupBy`, which Node 20 lacks */
export function groupBy<T, Key>(items: T[], keyOf: (item: T) => Key): Map<Key, T[]> {
  const groups = new Map<Key, T[]>()
  for (const item of items) {
    const key = keyOf(item)
    const group = groups.get(key)
    if (group) group.push(item)
    else groups.set(key, [item])
  }
  return groups
}

interface Waiting<Input, Output> {
  input: Input
  resolve(output: Output): void
  reject(error: unknown): void
}

export interface BatcherOptions<Input> {
  /** Inputs handed to one run at most */
  maxSize?: number
  /** What the inputs of one run weigh */
  weight?: Weight<Input>
  /** Runs in flight at once; calls made meanwhile wait for the next run */
  concurrency?: number
  /** Least time between the starts of two runs, so that calls in a steady stream share runs */
  minIntervalMs?: number
}

/**
 * Serves concurrent calls with one run over all their inputs, as a database
 * groups commits: a call starts a run at once while fewer than `concurrency`
 * are in flight; calls made meanwhile wait and go together in the next one.
 * Under load, many jobs share one statement; alone, a call waits for nothing.
 * A run returns one output per input, in order; when it throws, every call
 * of it rejects.
 */
export class Batcher<Input, Output> {
  #waiting: Waiting<Input, Output>[] = []
  #running = 0
  #scheduled = false
  #limits: ChunkLimits<Waiting<Input, Output>>
  #concurrency: number
  #minIntervalMs: number
  #lastStart = 0

  constructor(
    private run: (inputs: Input[]) => Promise<Output[]>,
    options: BatcherOptions<Input> = {}
  ) {
    const weight = options.weight
    this.#limits = {
      count: options.maxSize ?? 100,
      weight: weight && { max: weight.max, of: (waiting) => weight.of(waiting.input) },
    }
    this.#concurrency = options.concurrency ?? 2
    this.#minIntervalMs = options.minIntervalMs ?? 0
  }

  add(input: Input): Promise<Output> {
    return new Promise<Output>((resolve, reject) => {
      this.#waiting.push({ input, resolve, reject })
      this.#schedule()
    })
  }

  #schedule() {
    if (this.#scheduled || this.#running >= this.#concurrency || this.#waiting.length === 0) return
    this.#scheduled = true
    const start = () => {
      this.#scheduled = false
      while (this.#running < this.#concurrency && this.#waiting.length > 0) {
        this.#lastStart = performance.now()
        const length = nextChunkLength(this.#waiting, 0, this.#limits)
        void this.#runNext(this.#waiting.splice(0, length))
      }
    }
    const wait = this.#lastStart + this.#minIntervalMs - performance.now()
    if (wait > 0) setTimeout(start, wait)
    else queueMicrotask(start)
  }

  async #runNext(batch: Waiting<Input, Output>[]) {
    this.#running++
    try {
      const outputs = await this.run(batch.map((waiting) => waiting.input))
      batch.forEach((waiting, index) => waiting.resolve(outputs[index]))
    } catch (error) {
      batch.forEach((waiting) => waiting.reject(error))
    } finally {
      this.#running--
      this.#schedule()
    }
  }
}
