import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: { name: 'stream', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 30_000 },
})
