/**
 * Work left to run behind the calls that started it, which `settled()`
 * waits for, so that a process stopping lets it finish first.
 */
export class BackgroundWork {
  #pending = new Set<Promise<unknown>>()

  add(work: Promise<unknown>) {
    this.#pending.add(work)
    void work.finally(() => this.#pending.delete(work)).catch(() => {})
  }

  async settled() {
    await Promise.allSettled(this.#pending)
  }
}
