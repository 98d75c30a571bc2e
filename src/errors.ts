import { createError } from '@adonisjs/core/exceptions'

/**
 * Raised at boot when config/exo.ts holds a value the package cannot use.
 */
export const E_INVALID_CONFIG = createError<[key: string, problem: string]>(
  'Invalid exo config: "%s" %s',
  'E_EXO_INVALID_CONFIG',
  500
)

/**
 * Raised when a worker is asked for a queue the app's Exo does not use.
 */
export const E_UNKNOWN_QUEUE = createError<[queues: string, known: string]>(
  "No such queue of Exo's: %s (its queues: %s)",
  'E_EXO_UNKNOWN_QUEUE',
  500
)

/**
 * Raised when a model uses the Webhookable mixin without a usable declaration.
 */
export const E_INVALID_RESOURCE = createError<[model: string, problem: string]>(
  'Invalid webhook resource "%s": %s',
  'E_EXO_INVALID_RESOURCE',
  500
)

/**
 * Raised by `exo.emit` for a name the record's resource does not declare in
 * `webhookEvents`, or for a record whose model is not a registered resource.
 */
export const E_UNKNOWN_EVENT = createError<[event: string, problem: string]>(
  'Cannot emit "%s": %s',
  'E_EXO_UNKNOWN_EVENT',
  500
)

/**
 * Raised in the app's tests when an event's `data` does not match the JSON
 * Schema its resource declares for it; in production the event is sent and
 * a warning logged instead.
 */
export const E_PAYLOAD_MISMATCH = createError<[event: string, problem: string]>(
  'The data of "%s" does not match its schema: %s',
  'E_EXO_PAYLOAD_MISMATCH',
  500
)
