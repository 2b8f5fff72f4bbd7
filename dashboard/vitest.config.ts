import { defineConfig } from 'vitest/config'

// The dashboard's pure parts (URL state, date ranges) and its build (size budget). The
// whole page in Chromium against a running stack is launcher/test/dashboard-browser.test.ts.
export default defineConfig({
  test: { name: 'dashboard', include: ['test/**/*.test.ts'], testTimeout: 60_000 },
})
