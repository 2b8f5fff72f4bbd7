// Adapters the benchmark composes exactly as the embedded hub does.
export { createApp as createQueryApp, staticReadKeys } from '@sightline/query-service'
