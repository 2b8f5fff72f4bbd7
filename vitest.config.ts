import { defineConfig } from 'vitest/config'

// One runner for the whole repository. Each project is a test level:
// pure units + services against real chdb run in Node; the edge runs inside workerd.
export default defineConfig({
  test: {
    projects: [
      'packages/*/vitest.config.ts',
      '{ingest-bridge,query-service,launcher,edge-worker,dashboard}/vitest.config.ts',
    ],
  },
})
