import { AssertionError } from 'node:assert'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { ExoEvent } from '../lifecycle_events.js'
import type { EventName, EventRecord } from '../types.js'
import { publicEvent } from '../recording/event_record.js'

/** A resource's name, or the model class that declares it */
export type ResourceRef = string | { resource: string }

export type EventPredicate = (event: ExoEvent) => boolean

function resourceName(resource: ResourceRef) {
  return typeof resource === 'string' ? resource : resource.resource
}

function describe(events: ExoEvent[]) {
  if (events.length === 0) return 'none'
  return events.map((event) => `${event.resource} ${event.event} (${event.id})`).join(', ')
}

function plural(count: number) {
  return count === 1 ? '1 event was' : `${count} events were`
}

/**
 * What `exo.fake()` returns: it keeps the events the app's models produce
 * (their triggers, and the domain events of `exo.emit`)
 * instead of recording them, so nothing is written to the outbox or queued.
 * Inside a transaction an event is kept when the transaction commits, as a
 * real run would send it; a rollback keeps nothing.
 */
export class EventsFake {
  #dispatched: ExoEvent[] = []

  /**
   * Takes an event where the recorder would have recorded it.
   */
  capture(event: EventRecord, trx?: TransactionClientContract | null) {
    if (trx && !trx.isCompleted) {
      trx.after('commit', () => {
        this.#dispatched.push(publicEvent(event))
      })
      return
    }
    this.#dispatched.push(publicEvent(event))
  }

  /**
   * The events dispatched so far, oldest first; those of one resource and
   * event (a trigger or a domain event) when given.
   */
  dispatched(
    resource?: ResourceRef,
    eventName?: EventName,
    predicate?: EventPredicate
  ): ExoEvent[] {
    const name = resource === undefined ? undefined : resourceName(resource)
    return this.#dispatched.filter(
      (event) =>
        (name === undefined || event.resource === name) &&
        (eventName === undefined || event.event === eventName) &&
        (predicate === undefined || predicate(event))
    )
  }

  /**
   * Fails unless an event of `resource` and `eventName` (matching
   * `predicate`) was dispatched.
   */
  assertDispatched(resource: ResourceRef, eventName: EventName, predicate?: EventPredicate) {
    if (this.dispatched(resource, eventName, predicate).length > 0) return
    const what = `event "${resourceName(resource)}" "${eventName}"`
    throw new AssertionError({
      message: predicate
        ? `Expected ${what} matching the predicate to be dispatched; ` +
          `those dispatched: ${describe(this.dispatched(resource, eventName))}`
        : `Expected ${what} to be dispatched; dispatched: ${describe(this.#dispatched)}`,
      stackStartFn: this.assertDispatched,
    })
  }

  /**
   * Fails when an event of `resource` and `eventName` (matching `predicate`)
   * was dispatched.
   */
  assertNotDispatched(resource: ResourceRef, eventName: EventName, predicate?: EventPredicate) {
    const found = this.dispatched(resource, eventName, predicate)
    if (found.length === 0) return
    throw new AssertionError({
      message:
        `Expected event "${resourceName(resource)}" "${eventName}"` +
        `${predicate ? ' matching the predicate' : ''} not to be dispatched; ` +
        `dispatched: ${describe(found)}`,
      stackStartFn: this.assertNotDispatched,
    })
  }

  /**
   * Fails unless `count` events were dispatched in all, or `count` events of
   * `resource` and `eventName`.
   */
  assertDispatchedCount(count: number): void
  assertDispatchedCount(resource: ResourceRef, eventName: EventName, count: number): void
  assertDispatchedCount(...args: [number] | [ResourceRef, EventName, number]) {
    const [events, expected, what] =
      args.length === 1
        ? [this.#dispatched, args[0], '']
        : [this.dispatched(args[0], args[1]), args[2], ` "${resourceName(args[0])}" "${args[1]}"`]
    if (events.length === expected) return
    throw new AssertionError({
      message:
        `Expected ${expected}${what} event${expected === 1 ? '' : 's'} to be dispatched, ` +
        `instead ${plural(events.length)}: ${describe(events)}`,
      actual: events.length,
      expected,
      stackStartFn: this.assertDispatchedCount,
    })
  }

  /**
   * Fails when any event was dispatched.
   */
  assertNothingDispatched() {
    if (this.#dispatched.length === 0) return
    throw new AssertionError({
      message: `Expected no events to be dispatched, instead ${plural(this.#dispatched.length)}: ${describe(this.#dispatched)}`,
      actual: this.#dispatched.length,
      expected: 0,
      stackStartFn: this.assertNothingDispatched,
    })
  }

  /**
   * Forgets the events dispatched so far.
   */
  clear() {
    this.#dispatched = []
  }
}
