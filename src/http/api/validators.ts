import vine, { errors } from '@vinejs/vine'
import type { MessagesProviderContact, SchemaTypes } from '@vinejs/vine/types'
import { findReservedKey } from '../../reserved_keys.js'
import { TRIGGERS } from '../../types.js'

/**
 * Names a field by its path in messages ("The notification_emails.1 field
 * must be a valid email address", not "The 1 field …"), through whichever
 * messages provider the app gave VineJS.
 */
const fieldPathMessages: MessagesProviderContact = {
  getMessage(message, rule, field, args) {
    const named = Object.create(field, { name: { value: field.getFieldPath() } })
    return vine.messagesProvider.getMessage(message, rule, named, args)
  },
}

/**
 * A validator that names its fields by path and refuses, before anything
 * else, keys that reach a prototype at any depth of its input.
 */
function compile<Schema extends SchemaTypes>(schema: Schema) {
  const validator = vine.compile(schema)
  validator.messagesProvider = fieldPathMessages
  const validate = validator.validate.bind(validator)
  validator.validate = (async (data: unknown, ...options: []) => {
    refuseReservedKeys(data)
    return validate(data, ...options)
  }) as typeof validator.validate
  return validator
}

function refuseReservedKeys(data: unknown) {
  const path = findReservedKey(data)
  if (path === null) return
  const message = `The ${path} field is not allowed: no key may be named __proto__, constructor or prototype`
  invalid(path, 'reserved_key', message)
}

/** Header names the package sets itself, or that HTTP owns */
const RESERVED_HEADERS = /^(content-type|content-length|host|user-agent|webhook-.*|x-exo-.*)$/i
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,100}$/
// Visible ASCII and spaces only: no CR/LF (header injection), no other controls
const HEADER_VALUE = /^[\x20-\x7e]{0,2000}$/
const SECRET = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/
const ENVIRONMENT = /^[a-z][a-z0-9_-]{0,39}$/i

const headerName = vine.string().regex(HEADER_NAME)
const headerValue = vine.string().regex(HEADER_VALUE)

/**
 * A whole number within a range, given as a number or a numeric string.
 * VineJS's own number type converts with `Number()` first, which throws on
 * objects such as `{"valueOf":1}`: here anything but a scalar is reported.
 */
const wholeNumber = vine.createRule((value, range: { min: number; max: number }, field) => {
  const number =
    typeof value === 'number' || (typeof value === 'string' && value.trim() !== '')
      ? Number(value)
      : Number.NaN
  if (!Number.isInteger(number)) {
    return field.report('The {{ field }} field must be a whole number', 'number', field)
  }
  if (number < range.min || number > range.max) {
    const message = `The {{ field }} field must be between ${range.min} and ${range.max}`
    return field.report(message, 'range', field)
  }
  field.mutate(number, field)
})

/**
 * A username or password in the URL would be read back with it, in lists and
 * on the dashboard: `auth` takes them, write-only.
 */
const withoutCredentials = vine.createRule((value, _, field) => {
  if (!field.isValid || typeof value !== 'string') return
  const parsed = URL.canParse(value) ? new URL(value) : null
  if (!parsed) return field.report('The {{ field }} field must be a valid URL', 'url', field)
  if (parsed.username || parsed.password) {
    const message =
      'The {{ field }} field must not contain a username or password: send them as auth'
    field.report(message, 'credentials', field)
  }
})

const url = vine
  .string()
  .trim()
  .maxLength(2048)
  .url({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  .use(withoutCredentials())

const auth = vine.object({
  type: vine.enum(['basic', 'bearer'] as const),
  username: vine
    .string()
    .maxLength(255)
    .regex(/^[^:\r\n]*$/)
    .optional()
    .requiredWhen('type', '=', 'basic'),
  password: vine
    .string()
    .maxLength(1000)
    .regex(HEADER_VALUE)
    .optional()
    .requiredWhen('type', '=', 'basic'),
  token: vine
    .string()
    .minLength(1)
    .maxLength(2000)
    .regex(HEADER_VALUE)
    .optional()
    .requiredWhen('type', '=', 'bearer'),
})

const subscriptionFields = {
  name: vine.string().trim().minLength(1).maxLength(255),
  description: vine.string().trim().maxLength(2000).nullable(),
  url,
  resource: vine.string().trim().maxLength(100),
  events: vine.array(vine.enum(TRIGGERS)).minLength(1).distinct(),
  is_active: vine.boolean({ strict: true }),
  headers: vine.record(headerValue).maxLength(50),
  auth: auth.nullable(),
  secret_header: vine
    .object({ name: headerName, value: headerValue.clone().minLength(1) })
    .nullable(),
  notification_emails: vine
    .array(vine.string().trim().email().maxLength(254))
    .maxLength(20)
    .distinct(),
  environments: vine.array(vine.string().trim().regex(ENVIRONMENT)).maxLength(20).distinct(),
  metadata: vine.record(vine.any()).maxLength(50),
}

export const createSubscriptionValidator = compile(
  vine.object({
    ...subscriptionFields,
    description: subscriptionFields.description.optional(),
    is_active: subscriptionFields.is_active.optional(),
    headers: subscriptionFields.headers.optional(),
    auth: subscriptionFields.auth.optional(),
    secret_header: subscriptionFields.secret_header.optional(),
    notification_emails: subscriptionFields.notification_emails.optional(),
    environments: subscriptionFields.environments.optional(),
    metadata: subscriptionFields.metadata.optional(),
    secret: vine.string().regex(SECRET).optional(),
  })
)

export const updateSubscriptionValidator = compile(
  vine.object(
    Object.fromEntries(
      Object.entries(subscriptionFields).map(([field, schema]) => [field, schema.optional()])
    ) as {
      [Field in keyof typeof subscriptionFields]: ReturnType<
        (typeof subscriptionFields)[Field]['optional']
      >
    }
  )
)

/** The paging query of every list: a page size and the cursor of the previous page */
const pageFields = {
  limit: vine
    .any()
    .use(wholeNumber({ min: 1, max: 200 }))
    .optional(),
  cursor: vine.string().maxLength(200).optional(),
}

export const listSubscriptionsValidator = compile(
  vine.object({
    ...pageFields,
    // No NUL: PostgreSQL refuses it in a text comparison
    resource: vine
      .string()
      .maxLength(100)
      .regex(/^[^\0]*$/)
      .optional(),
    is_active: vine.boolean().optional(),
  })
)

export const listDeliveriesValidator = compile(
  vine.object({
    ...pageFields,
    status: vine.enum(['pending', 'success', 'failed'] as const).optional(),
  })
)

export const rotateSecretValidator = compile(
  vine.object({
    grace_period: vine
      .any()
      .use(wholeNumber({ min: 0, max: 604800 }))
      .optional(),
  })
)

export const replayValidator = compile(
  vine.object({
    event_id: vine.string().maxLength(40).optional().requiredIfMissing('since'),
    since: vine.string().maxLength(40).optional(),
  })
)

/**
 * Extra checks a schema cannot express, raised as VineJS raises its own.
 */
export function invalid(field: string, rule: string, message: string): never {
  throw new errors.E_VALIDATION_ERROR([{ field, rule, message }])
}

export function isReservedHeader(name: string) {
  return RESERVED_HEADERS.test(name)
}
