import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES, errorBody, eventJsonSchemas, isErrorCode } from '../src/index.ts'

describe('error contract', () => {
  it('builds the one error body shape with a docs link per code', () => {
    const body = errorBody('invalid_json', 'nope', 'req-1')
    expect(body).toEqual({
      error: {
        code: 'invalid_json',
        message: 'nope',
        docs: expect.stringMatching(/errors\.md#invalid_json$/),
        request_id: 'req-1',
      },
    })
    expect(isErrorCode('invalid_json')).toBe(true)
    expect(isErrorCode('toString')).toBe(false)
  })
  it('documents every error code in docs/errors.md', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../../docs/errors.md'), 'utf8')
    for (const code of ERROR_CODES) expect(doc, `docs/errors.md lacks ## ${code}`).toContain(`## ${code}`)
  })
})

describe('published JSON Schema', () => {
  it('matches the zod schemas (regenerate with packages/contracts/scripts/write-json-schema.ts)', () => {
    for (const [name, schema] of Object.entries(eventJsonSchemas())) {
      const committed = JSON.parse(readFileSync(join(import.meta.dirname, '../schema', name), 'utf8'))
      expect(committed).toEqual(schema)
    }
  })
})

describe('published limits table', () => {
  it('docs/limits.md shows the numbers the code enforces', async () => {
    const { renderLimitsTable } = await import('../src/index.ts')
    const doc = readFileSync(join(import.meta.dirname, '../../../docs/limits.md'), 'utf8')
    expect(doc).toContain(renderLimitsTable())
  })
})
