// Ad-hoc reads for assertions, kept with the warehouse port they go through.
export { sqlExec, sqlRows } from '@sightline/warehouse/inspect'
