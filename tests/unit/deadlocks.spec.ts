import { test } from '@japa/runner'
import { retryingDeadlocks } from '../../src/models/deadlocks.js'

/** Work that fails with `error` the first `failures` times it runs */
function failingFirst(failures: number, error: object) {
  let runs = 0
  const work = async () => {
    runs++
    if (runs <= failures) throw error
    return 'done'
  }
  return { work, runs: () => runs }
}

test.group('Deadlocks', () => {
  test('a deadlock victim, MySQL’s or PostgreSQL’s, is run again', async ({ assert }) => {
    for (const code of ['ER_LOCK_DEADLOCK', '40P01']) {
      const { work, runs } = failingFirst(2, { code })
      assert.equal(await retryingDeadlocks(work), 'done')
      assert.equal(runs(), 3)
    }
  })

  test('after five deadlocks in a row the last one is thrown', async ({ assert }) => {
    const { work, runs } = failingFirst(5, { code: 'ER_LOCK_DEADLOCK' })
    await assert.rejects(() => retryingDeadlocks(work))
    assert.equal(runs(), 5)
  })

  test('any other error is thrown at once', async ({ assert }) => {
    const { work, runs } = failingFirst(1, { code: 'ER_DUP_ENTRY' })
    await assert.rejects(() => retryingDeadlocks(work))
    assert.equal(runs(), 1)
  })
})
