import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join as joinPath } from 'node:path'
import { openWarehouse, type Warehouse } from '@sightline/warehouse'
import { sqlExec, sqlRows } from '@sightline/warehouse/inspect'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { code, compile, join, type Planned, param, property, type SqlValue, sql } from './fragment.ts'

describe('sql`` and compile', () => {
  it('splices planner-made text as is and refuses text that could quote or comment', () => {
    expect(compile(sql`arraySlice([${code('t0s[k], at_2[k]')}], 1, ${code(3)})`).sql).toBe(
      'arraySlice([t0s[k], at_2[k]], 1, 3)',
    )
    for (const bad of ["a' OR 1", 'x -- y', 'a; DROP TABLE t', 'a/*b*/']) {
      expect(() => code(bad)).toThrow(/not planner-made/)
    }
  })

  it('names parameters after their hints and numbers different values with the same hint', () => {
    // Two nested windows, each with its own `from`/`to`: the old fixed names collided here.
    const window = (from: string, to: string) =>
      sql`ts >= ${param('from', 'String', from)} AND ts < ${param('to', 'String', to)}`
    expect(compile(sql`(${window('a', 'b')}) OR (${window('c', 'd')})`)).toEqual({
      sql: '(ts >= {from:String} AND ts < {to:String}) OR (ts >= {from_2:String} AND ts < {to_2:String})',
      params: { from: 'a', from_2: 'c', to: 'b', to_2: 'd' },
    })
  })

  it('gives one parameter used twice one name and one value', () => {
    const tz = param('tz', 'String', 'Europe/Berlin')
    expect(compile(sql`toStartOfDay(ts, ${tz}) = toStartOfDay(now(), ${tz})`)).toEqual({
      sql: 'toStartOfDay(ts, {tz:String}) = toStartOfDay(now(), {tz:String})',
      params: { tz: 'Europe/Berlin' },
    })
  })

  it('refuses to interpolate anything but fragments and parameters', () => {
    const userText = "x' OR 1=1 --" as unknown as SqlValue
    expect(() => sql`SELECT ${userText}`).toThrow(/only fragments and bound parameters/)
  })

  it('refuses hints and types that are not plain identifiers', () => {
    expect(() => param('a}b', 'String', 1)).toThrow(/hint/)
    expect(() => param('a', 'String} OR {x:String', 1)).toThrow(/type/)
    expect(param('ts', "DateTime64(3, 'UTC')", '2024-01-01 00:00:00.000').type).toBe("DateTime64(3, 'UTC')")
    expect(param('ids', 'Array(LowCardinality(String))', ['a']).type).toBe('Array(LowCardinality(String))')
  })

  it('indents a nested multi-line fragment to the line it is placed on', () => {
    const where = join([sql`a = 1`, sql`b = 2`, sql`c = 3`], sql`\n  AND `)
    expect(compile(sql`SELECT 1\nFROM (\n  SELECT 1\n  WHERE ${where}\n)`).sql).toBe(
      'SELECT 1\nFROM (\n  SELECT 1\n  WHERE a = 1\n    AND b = 2\n    AND c = 3\n)',
    )
  })

  it('binds a property key, never splicing it into the text', () => {
    const key = "plan') OR 1=1 --"
    const planned = compile(sql`SELECT ${property(key)}`)
    expect(planned.sql).toBe('SELECT getSubcolumn(properties, {property:String})')
    expect(planned.params).toEqual({ property: key })
    expect(() => property('')).toThrow(/1–200/)
  })
})

describe('compiled fragments on chdb', () => {
  let warehouse: Warehouse
  let dir: string
  const run = (planned: Planned) => sqlRows(warehouse, planned.sql, planned.params)

  beforeAll(async () => {
    dir = await mkdtemp(joinPath(tmpdir(), 'sightline-fragment-'))
    warehouse = await openWarehouse({
      mode: 'embedded',
      path: dir,
      database: `frag_${randomBytes(6).toString('hex')}`,
    })
    await sqlExec(warehouse, 'CREATE TABLE t (id UInt8, properties JSON) ENGINE = MergeTree ORDER BY id')
    await warehouse.insert('t', [
      { id: 1, properties: { plan: 'pro', '$screen.width': 1280, nested: { tier: 'gold' } } },
      { id: 2, properties: { plan: "x' OR 1=1 --" } },
      { id: 3, properties: {} },
    ])
  })
  afterAll(async () => {
    await warehouse?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('binds arrays', async () => {
    const ids = param('ids', 'Array(UInt8)', [1, 3])
    expect(await run(compile(sql`SELECT id FROM t WHERE has(${ids}, id) ORDER BY id`))).toEqual([
      { id: 1 },
      { id: 3 },
    ])
  })

  it('reads properties by key: dotted keys literally, nested objects by path, hostile values as data, missing ones empty', async () => {
    const rows = await run(
      compile(sql`SELECT
  id,
  toString(${property('plan')}) AS plan,
  toString(${property('$screen.width')}) AS width,
  toString(${property('nested', 'tier')}) AS tier
FROM t
ORDER BY id`),
    )
    expect(rows).toEqual([
      { id: 1, plan: 'pro', width: '1280', tier: 'gold' },
      { id: 2, plan: "x' OR 1=1 --", width: '', tier: '' },
      { id: 3, plan: '', width: '', tier: '' },
    ])
  })

  it('runs two same-hint windows side by side with their own values', async () => {
    const window = (lo: number, hi: number) =>
      sql`id >= ${param('from', 'UInt8', lo)} AND id < ${param('to', 'UInt8', hi)}`
    const rows = await run(
      compile(sql`SELECT countIf(${window(1, 2)}) AS a, countIf(${window(2, 4)}) AS b FROM t`),
    )
    expect(rows).toEqual([{ a: 1, b: 2 }])
  })
})
