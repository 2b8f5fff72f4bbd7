import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: { name: 'live-client', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 30_000 },
})
