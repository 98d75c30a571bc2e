import { test } from '@japa/runner'
import { ResourceRegistry, type Resource } from '../../src/resources/registry.js'
import { eventCatalog, payloadSchemaOf } from '../../src/resources/event_catalog.js'
import { PayloadSchemas } from '../../src/resources/payload_schemas.js'
import type { WebhookableModel } from '../../src/types.js'

function modelWith(statics: Record<string, unknown>) {
  return {
    name: 'Order',
    resource: 'order',
    triggers: () => ['on_create'],
    ...statics,
  } as unknown as WebhookableModel
}

async function load(statics: Record<string, unknown>): Promise<Resource> {
  const registry = new ResourceRegistry([async () => ({ default: modelWith(statics) })])
  return (await registry.find('order'))!
}

const SHIPPED = {
  description: 'The order left the warehouse',
  schema: {
    type: 'object',
    required: ['id', 'total'],
    properties: { id: { type: 'integer' }, total: { type: 'integer' } },
  },
}

test.group('Domain events | declarations are checked when the resources load', () => {
  test('names, descriptions and schemas are kept; events list triggers first', async ({
    assert,
  }) => {
    const resource = await load({
      webhookEvents: { 'shipped': SHIPPED, 'deal.won': { description: 'Won' } },
    })
    assert.deepEqual(resource.events, ['on_create', 'shipped', 'deal.won'])
    assert.deepEqual(resource.domainEvents.get('shipped'), SHIPPED)
  })

  test('{title} is refused')
    .with([
      { title: 'an uppercase name', events: { Shipped: { description: 'x' } }, error: /lowercase/ },
      { title: 'a trigger name', events: { on_create: { description: 'x' } }, error: /reserved/ },
      { title: 'ping', events: { ping: { description: 'x' } }, error: /reserved/ },
      { title: 'no description', events: { shipped: {} }, error: /description: string/ },
      {
        title: 'a schema that is not one',
        events: { shipped: { description: 'x', schema: { type: 'whole' } } },
        error: /webhookEvents.shipped.schema must be a JSON Schema/,
      },
      {
        title: 'a schema that is no object',
        events: { shipped: { description: 'x', schema: 'object' } },
        error: /it is not an object/,
      },
    ])
    .run(async ({ assert }, { events, error }) => {
      await assert.rejects(() => load({ webhookEvents: events }), error)
    })
})

test.group('Domain events | payload schemas', () => {
  test('in tests a mismatch throws naming the path; elsewhere it warns once', async ({
    assert,
  }) => {
    const resource = await load({ webhookEvents: { shipped: SHIPPED } })
    const strict = new PayloadSchemas(true, () => {})
    strict.check(resource, 'shipped', '{"id":1,"total":2}')
    assert.throws(
      () => strict.check(resource, 'shipped', '{"id":1,"total":"2"}'),
      'The data of "order.shipped" does not match its schema: data.total: must be integer'
    )

    const warnings: string[] = []
    const lenient = new PayloadSchemas(false, (message) => warnings.push(message))
    lenient.check(resource, 'shipped', '{"id":1}')
    lenient.check(resource, 'shipped', '{"id":"1"}')
    assert.lengthOf(warnings, 1)
    assert.include(warnings[0], `data: must have required property 'total'`)
    // Without a webhookSchema, triggers take anything
    assert.isFalse(lenient.has(resource, 'on_create'))
  })
})

test.group('Catalog | every trigger and domain event, with a schema and an example', () => {
  test('examples come from the schema, or the declaration', async ({ assert }) => {
    const resource = await load({
      webhookSchema: { type: 'object', properties: { id: { type: 'integer' } } },
      webhookEvents: {
        shipped: SHIPPED,
        refunded: { description: 'Refunded', example: { id: 7, amount: 5 } },
      },
    })
    const catalog = eventCatalog([resource])
    assert.deepEqual(
      catalog.map((type) => [type.event, type.description, type.example.data]),
      [
        ['on_create', 'The order record was created', { id: 0 }],
        ['shipped', 'The order left the warehouse', { id: 0, total: 0 }],
        ['refunded', 'Refunded', { id: 7, amount: 5 }],
      ]
    )
    assert.deepEqual(catalog[2].schema, { type: 'object' })
    assert.deepEqual(eventCatalog([resource]), catalog, 'the same on every call')
    assert.containsSubset(payloadSchemaOf(catalog[1]), {
      properties: {
        event: { const: 'shipped' },
        resource: { const: 'order' },
        data: SHIPPED.schema,
      },
    })
  })
})
