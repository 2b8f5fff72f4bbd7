import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGenerator, eventually } from '@sightline/testing'
import { sqlRows } from '@sightline/testing/sql'
import { openWarehouse } from '@sightline/warehouse'
import { afterAll, describe, expect, it } from 'vitest'
import { launcherPorts, postBatch, type RunningSightline, startSightline, stats } from './launcher-harness.ts'

// The delivery contract under the worst crash: the hub (bridge + writer + chdb) is
// SIGKILLed while events stream in. Every event the edge answered 2xx for must be in
// ClickHouse exactly once after the next start.
const dataDir = mkdtempSync(join(tmpdir(), 'sightline-kill-'))
let running: RunningSightline | undefined

afterAll(async () => {
  await running?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('kill -9 of the hub mid-stream', () => {
  it('keeps every acknowledged event, exactly once, after a restart', async () => {
    const ports = await launcherPorts()
    running = await startSightline(dataDir, ports)
    const e = running.endpoints
    const key = e.sites[0]!.write_key
    const gen = createGenerator({ seed: 'kill', sites: ['demo'], visitors: 200 })
    const batches = gen.batches(20_000, 50)

    const acked = new Set<string>()
    let refused = 0
    let sent = 0
    let killed = false
    // Four concurrent senders; the hub dies after a quarter of the batches went out.
    async function sender() {
      while (sent < batches.length) {
        const batch = batches[sent++]!
        if (!killed && sent > batches.length / 4) {
          killed = true
          process.kill(e.pids.hub, 'SIGKILL')
        }
        try {
          const res = await postBatch(e.edge, key, batch)
          if (res.status === 200) for (const ev of batch.batch) acked.add(ev.message_id)
          else refused += 1
          await res.arrayBuffer()
        } catch {
          refused += 1
        }
        if (killed && sent > batches.length / 4 + 200) return // enough traffic into a dead hub
      }
    }
    await Promise.all([sender(), sender(), sender(), sender()])
    expect(killed).toBe(true)
    // Mid-stream for real: some batches were acknowledged, and the dead hub refused others.
    expect(acked.size).toBeGreaterThan(1000)
    expect(refused).toBeGreaterThan(0)
    // The launcher notices its hub died and exits non-zero, taking the edge down.
    expect(await running.stop()).not.toBe(0)

    running = await startSightline(dataDir, ports)
    await eventually(
      () => stats(running!.endpoints),
      (s) => s.events >= acked.size,
      60_000,
    )
    expect(await running.stop()).toBe(0)
    running = undefined

    // Read ClickHouse directly, now that no hub holds the data path.
    const warehouse = await openWarehouse({
      mode: 'embedded',
      path: join(dataDir, 'chdb'),
      database: 'sightline',
    })
    const rows = await sqlRows<{ message_id: string; n: string }>(
      warehouse,
      'SELECT message_id, count() AS n FROM events GROUP BY message_id',
    )
    await warehouse.close()
    const counts = new Map(rows.map((r) => [r.message_id, Number(r.n)]))
    const missing = [...acked].filter((id) => !counts.has(id))
    const duplicated = rows.filter((r) => Number(r.n) > 1)
    expect(missing).toEqual([])
    expect(duplicated).toEqual([])
    console.log(
      `acknowledged ${acked.size} events, ${refused} batches refused; ${rows.length} distinct rows stored`,
    )
  })
})
