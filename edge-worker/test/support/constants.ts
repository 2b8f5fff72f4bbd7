import type { EdgeBatch } from '@sightline/contracts'

/** Shared by the Node-side test bridge and the tests running in workerd. */
export const TEST_SIGNING = { keyId: 'test-1', secret: 'test-signing-secret-0123456789abcdef' } as const

export const TEST_SITE = { site_id: 'site_test', write_keys: ['wk_test_primary', 'wk_test_second'] } as const

/**
 * Test bridge behaviour is chosen by URL path (`/b/<namespace>/<mode>`), not by shared
 * mutable switches, so test files running in parallel cannot disturb one another.
 */
export type BridgeMode = 'ok' | 'fail' | 'timeout' | 'reject' | 'slow' | 'quota'

/** What a `quota` bridge answers: 429 with this Retry-After and a site_quota_exceeded body. */
export const QUOTA_RETRY_AFTER_S = 17
export const QUOTA_MESSAGE = 'site site_test is over its quota of 600 events per minute'

/** How long a `slow` bridge takes to answer 200: long enough for concurrent requests to queue. */
export const SLOW_BRIDGE_MS = 300

/** One request as the test bridge saw it; tests read these back over HTTP. */
export interface RecordedAttempt {
  mode: BridgeMode
  verified: boolean
  verifyMessage?: string
  batch?: EdgeBatch
  headers: Record<string, string | undefined>
}
