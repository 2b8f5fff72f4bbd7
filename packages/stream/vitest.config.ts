import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    name: 'stream',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 90_000,
    // Starts the one Kafka broker the test/kafka files share (see the file).
    globalSetup: ['test/kafka/global-setup.ts'],
  },
})
