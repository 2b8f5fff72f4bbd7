import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EncodedRow, encodeRow } from '../src/row-line.ts'

/** The rule written the obvious way: drop top-level zero values, then JSON. */
function reference(row: Record<string, unknown>): string {
  const kept = Object.entries(row).filter(
    ([, v]) =>
      !(v === '' || v === 0 || v === false || v === null || v === undefined) &&
      !(Array.isArray(v) && v.length === 0),
  )
  return JSON.stringify(Object.fromEntries(kept))
}

const value = fc.oneof(
  fc.constantFrom('', 0, false, null, undefined, [], {}),
  fc.string(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.constant(0), fc.constant(''))),
)

describe('encodeRow', () => {
  it('without zero values equals dropping them and then encoding, for any row', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value), (row) => {
        const line = encodeRow(row, { omitZeroValues: true })
        expect(line).toBe(reference(row))
        JSON.parse(line)
      }),
      { numRuns: 500 },
    )
  })

  it('keeps nested zero values and keys that need escaping', () => {
    const row = { 'we"ird\n': 'x', n: 0, props: { a: 0, b: '' }, tags: [], ok: true }
    expect(JSON.parse(encodeRow(row, { omitZeroValues: true }))).toEqual({
      'we"ird\n': 'x',
      props: { a: 0, b: '' },
      ok: true,
    })
    expect(encodeRow(row)).toBe(JSON.stringify(row))
  })

  it('sends an encoded row as it is', () => {
    expect(encodeRow(new EncodedRow('{"a":1}', 's'), { omitZeroValues: true })).toBe('{"a":1}')
  })
})
