// Adapters the benchmark composes exactly as the embedded hub does.
export { serve } from '@hono/node-server'
export { createApp as createQueryApp, staticReadKeys } from '@sightline/query-service'
export { memoryDedup } from '@sightline/state'
