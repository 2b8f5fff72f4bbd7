import { defineConfig } from 'vitest/config'

// Unit tests of the pure parts, and an end-to-end file that starts a whole Sightline
// (launcher → workerd edge → hub with chdb) behind a failure-injecting proxy.
export default defineConfig({
  test: {
    name: 'sdk-node',
    include: ['test/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    fileParallelism: false,
  },
})
