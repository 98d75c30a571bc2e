import { setTimeout as sleep } from 'node:timers/promises'
import { test } from '@japa/runner'
import { Batcher, chunks, groupBy, type BatcherOptions } from '../../src/batcher.js'

/**
 * A batcher whose runs double their inputs after `delayMs`, noting each run.
 */
function doubling(options: BatcherOptions<number> = {}, delayMs = 5) {
  const runs: number[][] = []
  let inFlight = 0
  let mostInFlight = 0
  const batcher = new Batcher<number, number>(async (inputs) => {
    runs.push(inputs)
    mostInFlight = Math.max(mostInFlight, ++inFlight)
    // A run that takes this long: the work being batched
    await sleep(delayMs)
    inFlight--
    return inputs.map((input) => input * 2)
  }, options)
  return { batcher, runs, mostInFlight: () => mostInFlight }
}

test.group('Batcher', () => {
  test('a lone call runs at once, alone', async ({ assert }) => {
    const { batcher, runs } = doubling()
    assert.equal(await batcher.add(21), 42)
    assert.deepEqual(runs, [[21]])
  })

  test('calls made while runs are busy share the next run; each gets its own output', async ({
    assert,
  }) => {
    const { batcher, runs, mostInFlight } = doubling({ concurrency: 1 })
    const first = batcher.add(1)
    // A later turn of the event loop, the first run under way
    await sleep(1)
    const rest = [2, 3, 4, 5].map((input) => batcher.add(input))
    assert.deepEqual(await Promise.all([first, ...rest]), [2, 4, 6, 8, 10])
    assert.deepEqual(runs, [[1], [2, 3, 4, 5]])
    assert.equal(mostInFlight(), 1)
  })

  test('calls of one turn of the event loop go together', async ({ assert }) => {
    const { batcher, runs } = doubling()
    await Promise.all([1, 2, 3].map((input) => batcher.add(input)))
    assert.deepEqual(runs, [[1, 2, 3]])
  })

  test('runs take at most maxSize inputs and at most concurrency run at once', async ({
    assert,
  }) => {
    const { batcher, runs, mostInFlight } = doubling({ maxSize: 2, concurrency: 2 })
    const outputs = await Promise.all([1, 2, 3, 4, 5].map((input) => batcher.add(input)))
    assert.deepEqual(outputs, [2, 4, 6, 8, 10])
    assert.deepEqual(runs, [[1, 2], [3, 4], [5]])
    assert.equal(mostInFlight(), 2)
  })

  test('runs weigh at most the weight allowed, unless one input alone weighs more', async ({
    assert,
  }) => {
    const { batcher, runs } = doubling({ weight: { max: 10, of: (input) => input } })
    await Promise.all([3, 4, 3, 1, 12, 2].map((input) => batcher.add(input)))
    // [1] runs alone since 1 + 12 weighs more than 10, and two runs are in flight then
    assert.deepEqual(runs, [[3, 4, 3], [1], [12], [2]])
  })

  test('a run that throws rejects every call of it, and the next run goes on', async ({
    assert,
  }) => {
    let fail = true
    const batcher = new Batcher<number, number>(async (inputs) => {
      if (fail) throw new Error('database away')
      return inputs
    })
    const failed = await Promise.allSettled([batcher.add(1), batcher.add(2)])
    assert.deepEqual(
      failed.map((result) => result.status),
      ['rejected', 'rejected']
    )
    fail = false
    assert.equal(await batcher.add(3), 3)
  })

  test('minIntervalMs spaces the starts of runs, so a stream of calls shares them', async ({
    assert,
  }) => {
    const starts: number[] = []
    const runs: number[][] = []
    const batcher = new Batcher<number, number>(
      async (inputs) => {
        starts.push(performance.now())
        runs.push(inputs)
        return inputs
      },
      { concurrency: 1, minIntervalMs: 50 }
    )
    const calls = []
    for (let index = 0; index < 10; index++) {
      calls.push(batcher.add(index))
      await new Promise((resolve) => setImmediate(resolve))
    }
    await Promise.all(calls)
    assert.deepEqual(runs[0], [0], 'the first call waits for nothing')
    assert.deepEqual(runs.flat(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    for (let index = 1; index < starts.length; index++) {
      assert.isAtLeast(starts[index] - starts[index - 1], 45)
    }
  })
})

test.group('Batcher | helpers', () => {
  test('chunks cut a list into parts of at most the given size', ({ assert }) => {
    assert.deepEqual(chunks([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]])
    assert.deepEqual(chunks([], 2), [])
  })

  test('chunks with a weight end a part before it weighs more, and give a heavy item its own', ({
    assert,
  }) => {
    const weight = { max: 10, of: (item: string) => item.length }
    assert.deepEqual(
      chunks(['aaaa', 'bbbb', 'cc', 'd', 'eeeeeeeeeeee', 'ff'], { count: 3, weight }),
      [['aaaa', 'bbbb', 'cc'], ['d'], ['eeeeeeeeeeee'], ['ff']]
    )
    assert.deepEqual(chunks(['a', 'b', 'c'], { count: 2, weight }), [['a', 'b'], ['c']])
  })

  test('groupBy keeps the order of first appearance and of items within groups', ({ assert }) => {
    const groups = groupBy(['b1', 'a1', 'b2', 'c1', 'a2'], (item) => item[0])
    assert.deepEqual(
      [...groups],
      [
        ['b', ['b1', 'b2']],
        ['a', ['a1', 'a2']],
        ['c', ['c1']],
      ]
    )
  })
})
