import type { Hono } from 'hono'
import type { BridgeHealth } from '../bridge-health.ts'
import type { Bridge } from '../config.ts'
import type { AppEnv } from '../respond.ts'

/**
 * Liveness and readiness for orchestrators and the launcher. /healthz: the isolate answers.
 * /readyz: it has a parsed config (a misconfigured edge answers 500 before reaching here)
 * and at least one bridge this isolate has not seen fail in the last period — without
 * probing them, so a readiness poll never costs a bridge round trip.
 */
/** Listed in the edge's OpenAPI document (openapi.ts). */
export const HEALTH_ROUTES = [
  { method: 'GET', path: '/healthz', summary: 'Liveness: the edge answers' },
  {
    method: 'GET',
    path: '/readyz',
    summary: 'Readiness: configured, and some bridge not seen failing (503 otherwise)',
  },
] as const

export function registerHealthRoutes(
  app: Hono<AppEnv>,
  deps: { bridges: readonly Bridge[]; health?: BridgeHealth; now: () => number },
): void {
  app.get('/healthz', (c) => c.json({ ok: true }))
  app.get('/readyz', (c) => {
    const now = deps.now()
    const bridges = deps.bridges.map((b) => ({
      region: b.region,
      healthy: deps.health ? deps.health.isHealthy(b, now) : true,
    }))
    const ready = bridges.some((b) => b.healthy)
    return c.json({ ok: ready, bridges }, ready ? 200 : 503)
  })
}
