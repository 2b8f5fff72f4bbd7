import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { bundle, bundleEsm, CORE_BUDGET_GZIP, servedAssets, sizeReport } from '../scripts/bundle.ts'

const root = join(import.meta.dirname, '..')
const built = await bundle()

describe('browser SDK size budget', () => {
  it(`keeps the core (s.js) at or under ${CORE_BUDGET_GZIP} bytes gzipped`, () => {
    const core = built.find((b) => b.name === 's.js')!
    // Printed so every test run shows the figures, not only the committed report.
    console.log(
      built.map((b) => `${b.name}: ${b.bytes} B, gzip ${b.gzip} B, brotli ${b.brotli} B`).join('\n'),
    )
    expect(core.gzip).toBeLessThanOrEqual(CORE_BUDGET_GZIP)
    expect(core.brotli).toBeLessThan(core.gzip)
  })

  it('has a committed size report that matches a fresh build (SIZE.md)', () => {
    expect(readFileSync(join(root, 'SIZE.md'), 'utf8')).toBe(sizeReport(built))
  })

  it('has committed served scripts that match a fresh build (what the edge serves)', () => {
    // Stale assets would mean the edge ships an older tracker than src/ describes.
    expect(readFileSync(join(root, 'served', 'assets.gen.json'), 'utf8')).toBe(servedAssets(built))
  })

  it('builds an ESM entry for bundlers exporting the tracker and every plugin', async () => {
    const esm = await bundleEsm()
    const exported = esm.match(/export\s*\{([^}]*)\}/)?.[1] ?? ''
    const names = exported.split(',').map((part) =>
      part
        .trim()
        .split(/\s+as\s+/)
        .at(-1),
    )
    for (const name of [
      'createTracker',
      'outboundLinks',
      'automationSignals',
      'fileDownloads',
      'scrollDepth',
      'webVitals',
    ]) {
      expect(names, name).toContain(name)
    }
  })

  it('ships no runtime dependencies', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    expect(manifest.dependencies ?? {}).toEqual({})
  })
})
