import { describe, expect, it } from 'vitest'
import { staticSites } from '../src/sites.ts'
import { REMOTE_TTL_MS, remoteSites } from '../src/sites-remote.ts'

// The hub's side is tested for real in launcher/test/live-admin.test.ts; here the timing rules.
function hub() {
  const state = {
    status: 200,
    calls: 0,
    auth: '' as string | null,
    sites: [{ site_id: 'a', write_keys: ['wk_a1'] }] as unknown[],
  }
  const fetch = (async (_input: RequestInfo | URL, init?: RequestInit) => {
    state.calls++
    state.auth = new Headers(init?.headers).get('authorization')
    return Response.json({ version: state.calls, sites: state.sites }, { status: state.status })
  }) as typeof globalThis.fetch
  return { state, fetch }
}

describe('SiteDirectory over the hub’s edge view (SITES_URL)', () => {
  it('follows changes within the TTL and falls back to SITES when the hub never answered', async () => {
    const clock = { now: 1_000_000 }
    const { state, fetch } = hub()
    const fallback = staticSites([
      {
        site_id: 'static',
        write_keys: ['wk_static'],
        revoked_keys: [],
        allowed_origins: ['*'],
        rate_limit: { per_key_per_minute: 1, per_ip_per_minute: 1 },
        privacy: { keep_ip: false, cookieless: false },
        block_bots: false,
      },
    ])
    const dir = remoteSites({
      url: 'http://hub/admin/v1/edge/sites',
      token: 'tok_0123456789abcdef',
      now: () => clock.now,
      fetch,
      fallback,
    })
    expect((await dir.byWriteKey('wk_a1'))?.siteId).toBe('a')
    expect(state.auth).toBe('Bearer tok_0123456789abcdef')
    // The hub is the truth once it answered: a key only SITES knows is unknown.
    expect(await dir.byWriteKey('wk_static')).toBeUndefined()
    state.sites = [{ site_id: 'a', write_keys: ['wk_a2'], revoked_keys: ['wk_a1'], block_bots: true }]
    clock.now += REMOTE_TTL_MS - 1
    expect((await dir.byWriteKey('wk_a1'))?.settings.revoked_keys).toEqual([])
    clock.now += 1
    const after = await dir.byWriteKey('wk_a1')
    expect(after?.settings.revoked_keys).toEqual(['wk_a1'])
    expect(after?.settings.block_bots).toBe(true)
    expect(state.calls).toBe(2)

    // Hub down: the last list is served (bounded); a fresh directory uses SITES.
    state.status = 503
    clock.now += REMOTE_TTL_MS
    expect((await dir.byWriteKey('wk_a2'))?.siteId).toBe('a')
    const cold = remoteSites({
      url: 'http://hub/x',
      token: 'tok_0123456789abcdef',
      now: () => clock.now,
      fetch,
      fallback,
    })
    expect((await cold.byWriteKey('wk_static'))?.siteId).toBe('static')
  })
})
