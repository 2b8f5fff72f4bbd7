import { z } from 'zod'
import type { QueryParams, Warehouse } from './port.ts'

const AnyRow = z.record(z.string(), z.unknown())

/**
 * Ad-hoc reads for assertions. Tests inspect tables freely, so the row schema is loose and the
 * caller names the shape; the read is still named, bound and bounded like any other.
 */
export async function sqlRows<Row = Record<string, unknown>>(
  warehouse: Warehouse,
  sql: string,
  params?: QueryParams,
): Promise<Row[]> {
  const rows = await warehouse.query({
    name: 'test.inspect',
    sql,
    row: AnyRow,
    ...(params ? { params } : {}),
  })
  return rows as Row[]
}

/** A statement a test runs to set the scene (DDL, OPTIMIZE). */
export function sqlExec(warehouse: Warehouse, sql: string, params?: QueryParams): Promise<void> {
  return warehouse.command({ name: 'test.setup', sql, ...(params ? { params } : {}) })
}
