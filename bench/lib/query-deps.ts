// The query service, composed by the freshness benchmark as the embedded hub composes it.
export { createApp as createQueryApp, staticReadKeys } from '@sightline/query-service'
