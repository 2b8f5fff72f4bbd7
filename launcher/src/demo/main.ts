// Process entry of the demo loader (spawned by start.ts once the stack runs): generates the
// demo site's traffic and loads it through the edge code and the running bridge. Its own
// process, so neither the launcher nor the hub does the generating. Progress: one JSON line
// per step on stdout; the outcome also in <data dir>/demo.json (what a test recomputes from).

import { writeSecretJson as writeJsonAtomic } from '@sightline/metadata/file'
import { z } from 'zod'
import { loadDemoRequests } from './edge-load.ts'
import { demoTraffic } from './traffic.ts'

const ConfigSchema = z.object({
  file: z.string().min(1),
  bridgeUrl: z.string().min(1),
  signing: z.object({ keyId: z.string(), secret: z.string() }),
  site: z.object({ site_id: z.string(), write_keys: z.array(z.string()).min(1) }).passthrough(),
  seed: z.number().int(),
  end: z.number().int(),
  days: z.number().int().min(1).max(365),
  visitsPerDay: z.number().int().min(1).max(100_000),
})
const config = ConfigSchema.parse(JSON.parse(process.argv[2] ?? '{}'))
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`)

const record = {
  site: config.site.site_id,
  seed: config.seed,
  end: new Date(config.end).toISOString(),
  days: config.days,
  visits_per_day: config.visitsPerDay,
}
const startedAt = Date.now()
const requests = demoTraffic({
  seed: config.seed,
  end: config.end,
  days: config.days,
  visitsPerDay: config.visitsPerDay,
})
const events = requests.reduce((n, r) => n + r.body.batch.length, 0)
writeJsonAtomic(config.file, { ...record, status: 'loading', visits: requests.length, events })
say({ generated: { visits: requests.length, events, ms: Date.now() - startedAt } })
const result = await loadDemoRequests({
  site: config.site as Parameters<typeof loadDemoRequests>[0]['site'],
  bridgeUrl: config.bridgeUrl,
  signing: config.signing,
  requests,
  onProgress: (done, total) => say({ progress: { done, total } }),
})
const ms = Date.now() - startedAt
writeJsonAtomic(config.file, {
  ...record,
  status: result.failed === 0 ? 'done' : 'incomplete',
  visits: requests.length,
  events,
  ...result,
  load_ms: ms,
})
say({ done: { ...result, events, ms } })
process.exit(result.failed === 0 ? 0 : 1)
