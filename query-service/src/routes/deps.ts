import type { Warehouse } from '@sightline/warehouse'
import type { Logger } from 'pino'
import type { Clock } from '../ports.ts'

export interface RouteDeps {
  warehouse: Warehouse
  clock: Clock
  logger: Logger
}
