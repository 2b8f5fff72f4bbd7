// Adapters the benchmark composes exactly as the embedded hub does.
export { serve } from '@hono/node-server'
export { memoryDedup } from '@sightline/state'
