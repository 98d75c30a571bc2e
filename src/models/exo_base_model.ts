import { BaseModel, SnakeCaseNamingStrategy } from '@adonisjs/lucid/orm'

/**
 * Pins the naming strategy so the package's tables read the same whatever
 * strategy the host app configures for its own models.
 */
export class ExoBaseModel extends BaseModel {
  static namingStrategy = new SnakeCaseNamingStrategy()
}
