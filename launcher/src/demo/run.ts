// The launcher's side of the demo data: decides whether to load it and runs the loader
// (demo/main.ts) as its own process in the background, relaying its progress.
import { spawn } from 'node:child_process'
import { createWriteStream, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Site } from '@sightline/metadata'
import { repoRoot, type Started, track } from '../processes.ts'
import { type DataLayout, DEMO_DATA_SITE, type InstallState } from '../workspace.ts'

export interface DemoSize {
  days: number
  visitsPerDay: number
}

/** `--no-demo` or SIGHTLINE_DEMO=off|0|false: no demo site on a new data directory. */
export function demoWanted(flag: boolean | undefined, env: string | undefined): boolean {
  if (flag !== undefined) return flag
  return !/^(off|0|false|no)$/i.test(env?.trim() ?? '')
}

/** SIGHTLINE_DEMO_DAYS / SIGHTLINE_DEMO_VISITS_PER_DAY (smaller loads for tests); defaults 30 and 250. */
export function demoSize(env: NodeJS.ProcessEnv): DemoSize {
  const int = (v: string | undefined, fallback: number, max: number) => {
    const n = Number(v)
    return Number.isInteger(n) && n >= 1 && n <= max ? n : fallback
  }
  return {
    days: int(env.SIGHTLINE_DEMO_DAYS, 30, 365),
    visitsPerDay: int(env.SIGHTLINE_DEMO_VISITS_PER_DAY, 250, 100_000),
  }
}

interface DemoRecord {
  status: 'loading' | 'done' | 'incomplete'
  seed: number
  end: string
  days: number
  visits_per_day: number
}

export function readDemoRecord(layout: DataLayout): DemoRecord | undefined {
  if (!existsSync(layout.demo)) return undefined
  try {
    return JSON.parse(readFileSync(layout.demo, 'utf8')) as DemoRecord
  } catch {
    return undefined
  }
}

/**
 * Starts loading when the demo site exists and its data is not loaded yet: the first start
 * of a new data directory, or a later one after a load was interrupted (the same seed and
 * window again, so the events are the same and the writer's dedup drops what already landed).
 */
export function startDemoLoad(
  layout: DataLayout,
  state: InstallState,
  sites: readonly Site[],
  bridgeUrl: string,
  size: DemoSize,
  say: (msg: string) => void,
): Started | undefined {
  const site = sites.find((s) => s.site_id === DEMO_DATA_SITE)
  const previous = readDemoRecord(layout)
  if (!site || previous?.status === 'done') return undefined
  const config = {
    file: layout.demo,
    bridgeUrl,
    signing: { keyId: state.signing.key_id, secret: state.signing.key },
    site,
    seed: previous?.seed ?? 20_261_202,
    end: previous ? Date.parse(previous.end) : Date.now(),
    days: previous?.days ?? size.days,
    visitsPerDay: previous?.visits_per_day ?? size.visitsPerDay,
  }
  const log = createWriteStream(join(layout.logs, 'demo.log'), { flags: 'a' })
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, 'main.ts'),
      JSON.stringify(config),
      `--sightline-data=${layout.root}`,
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  child.stderr!.pipe(log)
  let lastTenth = -1
  createInterface({ input: child.stdout! }).on('line', (line) => {
    log.write(`${line}\n`)
    let msg: {
      generated?: { visits: number; events: number }
      progress?: { done: number; total: number }
      done?: { accepted: number; rejected: number; failed: number; ms: number }
    }
    try {
      msg = JSON.parse(line)
    } catch {
      return
    }
    if (msg.generated)
      say(
        `demo data: ${msg.generated.events.toLocaleString('en')} events of ${config.days} days generated for site ${DEMO_DATA_SITE}; loading in the background…`,
      )
    if (msg.progress) {
      const tenth = Math.floor((10 * msg.progress.done) / msg.progress.total)
      if (tenth > lastTenth && tenth < 10) say(`demo data: ${tenth * 10}% loaded`)
      lastTenth = tenth
    }
    if (msg.done)
      say(
        `demo data: loaded in ${(msg.done.ms / 1000).toFixed(1)} s: ${msg.done.accepted.toLocaleString('en')} events accepted, ${msg.done.rejected} refused on purpose (malformed)${msg.done.failed ? `, ${msg.done.failed} batches failed (the next start retries)` : ''}`,
      )
  })
  child.once('exit', (code, signal) => {
    if (code !== 0)
      say(
        `demo data: the loader stopped (${signal ?? code}); see ${layout.logs}/demo.log; the next start resumes it`,
      )
  })
  return track(child)
}
