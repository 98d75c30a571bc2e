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
