import { fileURLToPath } from 'node:url'
import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import { TEST_SIGNING, TEST_SITE } from './test/support/constants.ts'

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

// Tests run inside workerd (the same runtime as production). The bridge they forward to
// is a real HTTP server started in Node by globalSetup; its port reaches the Worker as a
// binding.
export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => {
      const port = inject('bridgePort')
      return {
        main: here('./src/index.ts'),
        wrangler: { configPath: here('./wrangler.jsonc') },
        miniflare: {
          bindings: {
            BRIDGE_PORT: port,
            SITES: JSON.stringify([TEST_SITE]),
            BRIDGES: JSON.stringify([
              { url: `http://127.0.0.1:${port}/b/worker-entry-down/fail`, region: 'down', priority: 1 },
              { url: `http://127.0.0.1:${port}/b/worker-entry/ok`, region: 'local', priority: 2 },
            ]),
            SIGNING_KEY_ID: TEST_SIGNING.keyId,
            SIGNING_KEY: TEST_SIGNING.secret,
          },
        },
      }
    }),
  ],
  test: {
    name: 'edge-worker',
    include: ['test/**/*.test.ts'],
    globalSetup: [here('./test/node/bridge-server.ts')],
    testTimeout: 30_000,
  },
})
