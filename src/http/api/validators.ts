import vine, { errors } from '@vinejs/vine'
import type { MessagesProviderContact, SchemaTypes } from '@vinejs/vine/types'
import { STATS_WINDOWS, type StatsWindow } from '../../delivery/endpoint_stats.js'
import { findReservedKey } from '../../reserved_keys.js'
import { TRIGGERS } from '../../types.js'

type Message = (field: string, args: Record<string, any>) => string

/** "a", "a or b", "a, b or c" */
function alternatives(values: readonly string[]) {
  if (values.length < 2) return values.join('')
  return `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`
}

/** What a field must be among a few values: "a or b", "one of a, b, c" */
export function oneOf(values: readonly string[]) {
  return values.length > 2 ? `one of ${values.join(', ')}` : alternatives(values)
}

const AUTH_TYPES = ['basic', 'bearer'] as const
const HEADER_NAME_TEXT = "1 to 100 letters, digits or !#$%&'*+-.^_`|~"
const HEADER_VALUE_TEXT = 'at most 2000 visible ASCII characters or spaces, without line breaks'

const chooseEvents: Message = () => `Choose at least one event: ${alternatives(TRIGGERS)}`
const headerValueMessage: Message = (field) => `The ${field} field must be ${HEADER_VALUE_TEXT}`
const wholeNumberMessage: Message = (field, { min, max }) =>
  `The ${field} field must be a whole number from ${min} to ${max}`

/**
 * Messages that say what is allowed, by field (its path, `*` for any item
 * or key) and rule, then by rule alone.
 */
const MESSAGES: Record<string, Message> = {
  'name.minLength': (field) => `The ${field} field must not be blank`,
  'events.required': chooseEvents,
  'events.array': (field) => `The ${field} field must be an array of events, such as ["on_create"]`,
  'events.array.minLength': chooseEvents,
  'events.*.regex': (field) =>
    `The ${field} field must be an event name: a trigger (${alternatives(TRIGGERS)}) or a domain event of the resource`,
  'auth.object': (field) =>
    `The ${field} field must be {"type": "basic", "username", "password"}, {"type": "bearer", "token"} or null`,
  'auth.type.required': (field) => `The ${field} field must be ${oneOf(AUTH_TYPES)}`,
  'auth.username.required': (field) => `The ${field} field is required for basic auth`,
  'auth.username.regex': (field) => `The ${field} field must not contain a colon or a line break`,
  'auth.password.required': (field) => `The ${field} field is required for basic auth`,
  'auth.password.regex': headerValueMessage,
  'auth.token.required': (field) => `The ${field} field is required for bearer auth`,
  'auth.token.regex': headerValueMessage,
  'headers.object': (field) =>
    `The ${field} field must be an object of header names and values, such as {"X-Team": "a"}`,
  'headers.*.regex': headerValueMessage,
  'secret_header.object': (field) => `The ${field} field must be {"name", "value"} or null`,
  'secret_header.name.regex': (field) => `The ${field} field must be ${HEADER_NAME_TEXT}`,
  'secret_header.value.regex': headerValueMessage,
  'notification_emails.array': (field) =>
    `The ${field} field must be an array of email addresses, such as ["ops@example.com"]`,
  'environments.array': (field) =>
    `The ${field} field must be an array of environment names, such as ["production"]`,
  'environments.*.regex': (field) =>
    `The ${field} field must be an environment name: a letter, then up to 39 letters, digits, - or _`,
  'secret.regex': (field) =>
    `The ${field} field must be whsec_ followed by 32 to 88 base64 characters (A-Z, a-z, 0-9, + and /), then up to two =`,
  'resource.regex': (field) => `The ${field} field must not contain a NUL character`,
  'event_id.required': (field) => `The ${field} field is required when since is not given`,
  'required': (field) => `The ${field} field is required`,
  'string': (field) => `The ${field} field must be a string`,
  'boolean': (field) => `The ${field} field must be true or false`,
  'object': (field) => `The ${field} field must be an object`,
  'array': (field) => `The ${field} field must be an array`,
  'enum': (field, { choices }) => `The ${field} field must be ${oneOf(choices)}`,
  'minLength': (field, { min }) =>
    min === 1
      ? `The ${field} field must not be empty`
      : `The ${field} field must have at least ${min} characters`,
  'maxLength': (field, { max }) => `The ${field} field must be at most ${max} characters long`,
  'array.minLength': (field, { min }) => `The ${field} field must have at least ${min} items`,
  'array.maxLength': (field, { max }) => `The ${field} field must have at most ${max} items`,
  'record.maxLength': (field, { max }) => `The ${field} field must have at most ${max} keys`,
  'distinct': (field) => `The ${field} field must not list the same value twice`,
  'url': (field) => `The ${field} field must be a valid URL starting with http:// or https://`,
  'email': (field) => `The ${field} field must be a valid email address, such as ops@example.com`,
  'number': wholeNumberMessage,
  'range': wholeNumberMessage,
}

/**
 * Names a field by its path in messages ("The notification_emails.1 field
 * must be a valid email address", not "The 1 field …") and says what is
 * allowed; a rule it has no message for goes to whichever messages provider
 * the app gave VineJS.
 */
const fieldPathMessages: MessagesProviderContact = {
  getMessage(message, rule, field, args = {}) {
    const path = field.getFieldPath()
    const own = [`${field.wildCardPath}.${rule}`, rule].find((key) => Object.hasOwn(MESSAGES, key))
    if (own) return MESSAGES[own](path, args)
    const named = Object.create(field, { name: { value: path } })
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
const EVENT_NAME = /^[a-z][a-z0-9_.]*$/

/** The most requests a second a subscription's rate limit may allow */
export const MAX_RATE_LIMIT = 10_000

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
  const message = wholeNumberMessage('{{ field }}', range)
  if (!Number.isInteger(number)) return field.report(message, 'number', field, range)
  if (number < range.min || number > range.max) {
    return field.report(message, 'range', field, range)
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
  type: vine.enum(AUTH_TYPES),
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
  // Which names the resource has is checked by the subscription service
  events: vine
    .array(vine.string().maxLength(200).regex(EVENT_NAME))
    .minLength(1)
    .maxLength(100)
    .distinct(),
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
  // Checked by the subscription service, which names the path of each problem
  filter: vine.any().nullable(),
  rate_limit: vine
    .any()
    .use(wholeNumber({ min: 1, max: MAX_RATE_LIMIT }))
    .nullable(),
}

export const createSubscriptionValidator = compile(
  vine.object({
    ...subscriptionFields,
    // Absent, the URL's host names the subscription
    name: subscriptionFields.name.optional(),
    description: subscriptionFields.description.optional(),
    is_active: subscriptionFields.is_active.optional(),
    headers: subscriptionFields.headers.optional(),
    auth: subscriptionFields.auth.optional(),
    secret_header: subscriptionFields.secret_header.optional(),
    notification_emails: subscriptionFields.notification_emails.optional(),
    environments: subscriptionFields.environments.optional(),
    metadata: subscriptionFields.metadata.optional(),
    filter: subscriptionFields.filter.optional(),
    rate_limit: subscriptionFields.rate_limit.optional(),
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

export const recoverValidator = compile(
  vine.object({
    since: vine.string().maxLength(40),
    until: vine.string().maxLength(40).optional(),
    dry_run: vine.boolean({ strict: true }).optional(),
  })
)

export const statsValidator = compile(
  vine.object({
    window: vine.enum(Object.keys(STATS_WINDOWS) as StatsWindow[]).optional(),
  })
)

/**
 * Extra checks a schema cannot express, raised as VineJS raises its own.
 */
export function invalid(field: string, rule: string, message: string): never {
  invalidAll([{ field, rule, message }])
}

/** Like `invalid`, with several problems at once */
export function invalidAll(problems: { field: string; rule: string; message: string }[]): never {
  throw new errors.E_VALIDATION_ERROR(problems)
}

/**
 * Refuses a custom header name that is not an HTTP token, or that the
 * package or HTTP sets itself. The names of `headers` are keys, which the
 * schema cannot check.
 */
export function checkHeaderName(field: string, name: string) {
  if (!HEADER_NAME.test(name)) {
    invalid(field, 'headerName', `The header name "${name}" must be ${HEADER_NAME_TEXT}`)
  }
  if (RESERVED_HEADERS.test(name)) {
    const reserved = 'Content-Type, Content-Length, Host, User-Agent, Webhook-* or X-Exo-*'
    invalid(
      field,
      'reserved',
      `The ${name} header is set by Exo: a custom header cannot be ${reserved}`
    )
  }
}
