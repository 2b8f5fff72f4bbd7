import { defineConfig } from 'vitest/config'

// The size check runs alone and fast; the browser test starts a whole Sightline (launcher →
// workerd edge → hub with chdb) and a real Chromium, so it gets launcher-sized timeouts.
export default defineConfig({
  test: {
    name: 'sdk-browser',
    include: ['test/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    fileParallelism: false,
  },
})
