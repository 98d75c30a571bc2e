import type { Encryption } from '@adonisjs/core/encryption'
import type { ApplicationService } from '@adonisjs/core/types'
import { adonis6 } from './adonis6.js'
import { adonis7, type EncryptionManager } from './adonis7.js'
import type { Framework } from './framework.js'

/**
 * The framework pieces of the app's AdonisJS major, told apart by its
 * `encryption` binding: AdonisJS 7's is an `EncryptionManager`.
 */
export async function frameworkFor(app: ApplicationService): Promise<Framework> {
  const encryption: unknown = await app.container.make('encryption')
  const isManager =
    typeof (encryption as Partial<EncryptionManager>).getMessageVerifier === 'function'
  return isManager
    ? adonis7(app, encryption as EncryptionManager)
    : adonis6(app, encryption as Encryption)
}
