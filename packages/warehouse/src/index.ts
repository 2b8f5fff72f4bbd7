export * from './event-row.ts'
export * from './migrate.ts'
export * from './open.ts'
export type * from './port.ts'
