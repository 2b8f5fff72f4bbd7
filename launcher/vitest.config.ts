import { defineConfig } from 'vitest/config'

// Whole-product tests: real processes (launcher, wrangler dev/workerd, hub with chdb).
// One file at a time: each starts its own Sightline, and two at once would starve 2 cores.
export default defineConfig({
  test: {
    name: 'launcher',
    include: ['test/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    fileParallelism: false,
  },
})
