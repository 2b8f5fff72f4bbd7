import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { tempDir } from '@sightline/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BuildResult, ensureDashboard } from '../build/build.ts'

/** The first view's JavaScript, gzipped, may not pass this (issue 13). */
const FIRST_VIEW_BUDGET_GZ = 150 * 1024

let dir: Awaited<ReturnType<typeof tempDir>>
let first: BuildResult
beforeAll(async () => {
  dir = await tempDir('sightline-dashboard-build-')
  first = await ensureDashboard(join(dir.path, 'dist'))
})
afterAll(async () => {
  await dir?.cleanup()
})

const gz = (file: string) => gzipSync(readFileSync(join(first.dir, file)), { level: 9 }).byteLength

describe('dashboard build', () => {
  it(`keeps the first view's JavaScript within ${FIRST_VIEW_BUDGET_GZ / 1024} KB gzipped`, () => {
    const scripts = first.firstView.filter((f) => f.endsWith('.js'))
    expect(scripts.length).toBeGreaterThan(0)
    const total = scripts.reduce((n, f) => n + gz(f), 0)
    process.stdout.write(
      `dashboard first view: ${(total / 1024).toFixed(1)} KB gzipped JS in ${scripts.length} files\n`,
    )
    expect(total).toBeLessThanOrEqual(FIRST_VIEW_BUDGET_GZ)
  })

  it('index.html loads exactly the first view, by relative URLs, with no inline script', () => {
    const html = readFileSync(join(first.dir, 'index.html'), 'utf8')
    const loaded = [...html.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((m) => m[1])
    expect(loaded.sort()).toEqual(first.firstView.filter((f) => f !== 'index.html').sort())
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(html).not.toMatch(/https?:\/\//)
  })

  it('the later views are chunks of their own, not part of the first view', () => {
    const all = first.firstView.map((f) => readFileSync(join(first.dir, f), 'utf8')).join('\n')
    // The live view's protocol strings only ship with the live chunk.
    expect(all).not.toContain('sightline.live.v1')
    // Nor do the insight views' editors and charts (funnels, retention, paths, attribution).
    const scripts = first.firstView.filter((f) => f.endsWith('.js'))
    const js = scripts.map((f) => readFileSync(join(first.dir, f), 'utf8')).join('\n')
    const everything = readdirSync(join(first.dir, 'assets'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(first.dir, 'assets', f), 'utf8'))
      .join('\n')
    for (const text of ['Add step', 'Start event', 'As a table', 'Position based']) {
      expect(everything).toContain(text)
      expect(js).not.toContain(text)
    }
  })

  it('skips the build when nothing it reads has changed', async () => {
    expect(first.built).toBe(true)
    const again = await ensureDashboard(first.dir)
    expect(again.built).toBe(false)
    expect(again.firstView).toEqual(first.firstView)
  })
})
