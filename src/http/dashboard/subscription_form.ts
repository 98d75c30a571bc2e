import { errors } from '@vinejs/vine'
import type { WebhookSubscription } from '../../models/webhook_subscription.js'
import type { serializeSubscription } from '../api/serializers.js'
import { filterText, headerLines } from './dashboard.js'

type FormBody = Record<string, unknown>
type Problem = { field: string; rule: string; message: string }
type SerializedSubscription = ReturnType<typeof serializeSubscription>

/**
 * A typed value with surrounding spaces removed, blank being absent. Values
 * that are not text (a crafted `name[]=x`) pass through for the validator
 * to refuse.
 */
export function text(value: unknown) {
  if (typeof value !== 'string') return value ?? undefined
  return value.trim() === '' ? undefined : value.trim()
}

/** A credential as typed, spaces included; blank is absent */
function credential(value: unknown) {
  return value === '' || value === null ? undefined : value
}

/** One entry per line or comma */
function list(value: unknown) {
  if (typeof value !== 'string') return value ?? []
  return value
    .split(/[\n,;]+/)
    .map((entry) => entry.trim())
    .filter(Boolean)
}

/** `Name: value` lines */
function headers(value: unknown, problems: Problem[]) {
  if (typeof value !== 'string') return value ?? {}
  // Without a prototype, a `__proto__` line is a key like any other, for the validator to refuse
  const parsed: Record<string, string> = Object.create(null)
  value.split('\n').forEach((line, index) => {
    if (line.trim() === '') return
    const colon = line.indexOf(':')
    if (colon < 1) {
      problems.push({
        field: 'headers',
        rule: 'format',
        message: `Line ${index + 1} of the headers is not "Name: value"`,
      })
      return
    }
    parsed[line.slice(0, colon).trim()] = line.slice(colon + 1).trim()
  })
  return parsed
}

/**
 * The filter as JSON text; blank (which the body parser may make null) is
 * none. A form without the field keeps the stored one.
 */
function filter(value: unknown, problems: Problem[]) {
  if (value === null) return null
  if (typeof value !== 'string') return value
  if (value.trim() === '') return null
  try {
    return JSON.parse(value)
  } catch (error) {
    problems.push({
      field: 'filter',
      rule: 'json',
      message: `The filter must be JSON, such as {"data.status": "paid"}: ${error.message}`,
    })
    return undefined
  }
}

/**
 * The rate limit as typed; blank (which the body parser may make null) is
 * none. A form without the field keeps the stored one.
 */
function rateLimit(value: unknown) {
  if (value === null) return null
  if (typeof value !== 'string') return value
  return value.trim() === '' ? null : value.trim()
}

/**
 * The ticked events of the chosen resource. Without JavaScript the form
 * shows every resource's events, so an event ticked under another
 * resource is refused rather than silently dropped.
 */
function events(body: FormBody, resource: unknown, problems: Problem[]) {
  const groups = body.events
  if (groups === undefined || groups === null) return []
  if (typeof groups !== 'object' || Array.isArray(groups)) return groups
  for (const [other, ticked] of Object.entries(groups)) {
    if (other !== resource && Array.isArray(ticked) && ticked.length > 0) {
      problems.push({
        field: 'events',
        rule: 'trigger',
        message: `The events must be of the ${String(resource)} resource, not of ${other}`,
      })
    }
  }
  return (groups as Record<string, unknown>)[String(resource)] ?? []
}

/**
 * Basic or bearer credentials. When editing, a blank password or token
 * keeps the stored one: the form never shows it.
 */
function auth(body: FormBody, stored: WebhookSubscription['auth'] | undefined) {
  const type = body.auth_type
  if (type === undefined || type === null || type === 'none') return null
  if (type === 'basic') {
    return {
      type,
      username: text(body.auth_username),
      password:
        credential(body.auth_password) ?? (stored?.type === 'basic' ? stored.password : undefined),
    }
  }
  if (type === 'bearer') {
    return {
      type,
      token: credential(body.auth_token) ?? (stored?.type === 'bearer' ? stored.token : undefined),
    }
  }
  return { type }
}

/**
 * A shared-secret header; blank name and value remove it. When editing, a
 * blank value keeps the stored one.
 */
function secretHeader(body: FormBody, stored: WebhookSubscription['secretHeader'] | undefined) {
  const name = text(body.secret_header_name)
  const value = credential(body.secret_header_value)
  if (name === undefined && value === undefined) return null
  return { name, value: value ?? stored?.value }
}

/**
 * The create and edit form, validated as the API validates its request
 * body (`validator` is the API's own), so the dashboard then goes through
 * the subscription service as the API does. What the form's own format
 * refuses is reported with the validator's messages, all at once.
 * `stored` is the subscription being edited, whose credentials a blank
 * field keeps.
 */
export async function validateSubscriptionForm<Output>(
  validator: { validate(data: unknown): Promise<Output> },
  body: FormBody,
  stored?: WebhookSubscription
): Promise<Output> {
  const problems: Problem[] = []
  const resource = stored?.resource ?? text(body.resource)
  const input = {
    // Blank when creating, the URL's host names it; an edit cannot blank it. A bodyparser
    // that trims (AdonisJS 7's default) and converts empty strings makes a blank one null.
    name:
      stored && (typeof body.name === 'string' || body.name === null)
        ? (body.name ?? '')
        : text(body.name),
    description: text(body.description) ?? null,
    url: text(body.url),
    resource,
    events: events(body, resource, problems),
    is_active: body.is_active !== undefined && body.is_active !== null,
    headers: headers(body.headers, problems),
    auth: auth(body, stored?.auth),
    secret_header: secretHeader(body, stored?.secretHeader),
    notification_emails: list(body.notification_emails),
    environments: list(body.environments),
    filter: filter(body.filter, problems),
    rate_limit: rateLimit(body.rate_limit),
  }
  let validated: Output
  try {
    validated = await validator.validate(input)
  } catch (error) {
    if (!(error instanceof errors.E_VALIDATION_ERROR)) throw error
    throw new errors.E_VALIDATION_ERROR([...problems, ...error.messages])
  }
  if (problems.length > 0) throw new errors.E_VALIDATION_ERROR(problems)
  return validated
}

export interface SubscriptionFormValues {
  name: string
  description: string
  url: string
  resource: string
  events: Record<string, string[]>
  is_active: boolean
  headers: string
  auth_type: string
  auth_username: string
  secret_header_name: string
  notification_emails: string
  environments: string
  /** JSON, indented */
  filter: string
  rate_limit: string
}

/**
 * What the form shows: the subscription being edited (credentials left
 * out), or the defaults of a new one; over it, what the user typed before a
 * validation error.
 */
export function subscriptionFormValues(
  subscription: SerializedSubscription | null,
  typed: FormBody | null,
  defaultResource: string
): SubscriptionFormValues {
  const values: SubscriptionFormValues = {
    name: subscription?.name ?? '',
    description: subscription?.description ?? '',
    url: subscription?.url ?? '',
    resource: subscription?.resource ?? defaultResource,
    events: subscription ? { [subscription.resource]: subscription.events } : {},
    is_active: subscription?.is_active ?? true,
    headers: headerLines(subscription?.headers ?? {}),
    auth_type: subscription?.auth?.type ?? 'none',
    auth_username: (subscription?.auth as { username?: string } | null)?.username ?? '',
    secret_header_name: subscription?.secret_header?.name ?? '',
    notification_emails: (subscription?.notification_emails ?? []).join('\n'),
    environments: (subscription?.environments ?? []).join(', '),
    filter: filterText(subscription?.filter),
    rate_limit: String(subscription?.rate_limit ?? ''),
  }
  if (!typed) return values

  const typedText = (field: keyof SubscriptionFormValues) =>
    typeof typed[field] === 'string' ? (typed[field] as string) : ''
  return {
    name: typedText('name'),
    description: typedText('description'),
    url: typedText('url'),
    resource: subscription?.resource ?? (typedText('resource') || defaultResource),
    events:
      typed.events && typeof typed.events === 'object'
        ? (typed.events as Record<string, string[]>)
        : {},
    is_active: typed.is_active !== undefined && typed.is_active !== null,
    headers: typedText('headers'),
    auth_type: typedText('auth_type') || 'none',
    auth_username: typedText('auth_username'),
    secret_header_name: typedText('secret_header_name'),
    notification_emails: typedText('notification_emails'),
    environments: typedText('environments'),
    filter: typedText('filter'),
    rate_limit: typedText('rate_limit'),
  }
}
