import { BaseModel } from '@adonisjs/lucid/orm'
import type { LucidModel } from '@adonisjs/lucid/types/model'

/**
 * The same model without Exo: a Lucid model on the same table with the same
 * column definitions (dates filled in on create included), and no
 * Webhookable mixin. The baseline of the save-overhead figures.
 */
export function withoutExo<Model extends LucidModel>(model: Model): Model {
  class Plain extends BaseModel {
    static table = model.table
  }
  Plain.boot()
  for (const [name, definition] of model.$columnsDefinitions) Plain.$addColumn(name, definition)
  return Plain as unknown as Model
}
