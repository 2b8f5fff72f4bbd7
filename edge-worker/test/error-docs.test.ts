import { ERROR_CODES } from '@sightline/contracts'
import { describe, expect, it } from 'vitest'
import errorsMd from '../../docs/errors.md?raw'

describe('docs/errors.md', () => {
  it('has one section per error code, so every docs link in an error body lands somewhere', () => {
    const sections = [...errorsMd.matchAll(/^## (\w+)$/gm)].map((m) => m[1])
    expect([...sections].sort()).toEqual([...ERROR_CODES].sort())
  })
})
