// Bindings the vitest config gives the Worker under test (see vitest.config.ts), and the
// main module, so `exports.default` from 'cloudflare:workers' is typed.
declare namespace Cloudflare {
  interface Env {
    BRIDGE_PORT: number
    SITES: string
    BRIDGES: string
    SIGNING_KEY_ID: string
    SIGNING_KEY: string
    SITES_KV: KVNamespace
    RATE_LIMITER: DurableObjectNamespace<import('../../src/rate-limit/durable-object.ts').RateLimiter>
  }
  interface GlobalProps {
    mainModule: typeof import('../../src/index.ts')
  }
}

// Vite's raw-text imports (used to check docs against the contracts).
declare module '*?raw' {
  const text: string
  export default text
}
