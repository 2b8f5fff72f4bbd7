import { LiveClient, type ServerMessage } from '@sightline/live-client'
import { useEffect, useState } from 'preact/hooks'
import type { Api } from './api.ts'
import { count } from './format.ts'

type Top = { key: string; count: number }
interface Visitors {
  active: number
  top_pages: Top[]
  top_sources: Top[]
  top_countries: Top[]
}
interface LiveEvent {
  event: string
  ts: string
  person: string
  path?: string
  source?: string
  country?: string
}

const MAX_TAIL = 50

/** Visitors now, top pages now and the event tail, over the live WebSocket (docs/live.md). */
export function Live({ api, site }: { api: Api; site: string }) {
  const [status, setStatus] = useState('connecting')
  const [visitors, setVisitors] = useState<Visitors>()
  const [tail, setTail] = useState<LiveEvent[]>([])
  const [rate, setRate] = useState<{ rate: number; sample: number }>()
  useEffect(() => {
    setVisitors(undefined)
    setTail([])
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/live`
    // The key goes in the first message, never in the URL.
    const client = new LiveClient({ url, key: api.key })
    const off = client.on((m: ServerMessage) => {
      if (m.type === 'ready') setStatus('connected')
      if (m.type === 'error') setStatus(`error: ${m.error.message}`)
      if (m.type !== 'snapshot' && m.type !== 'update') return
      if (m.channel === 'visitors') setVisitors(m.data as Visitors)
      if (m.channel === 'events') {
        const data = m.data as { events: LiveEvent[]; sample_rate: number; rate_per_s: number }
        setRate({ rate: data.rate_per_s, sample: data.sample_rate })
        if (data.events.length) setTail((t) => [...[...data.events].reverse(), ...t].slice(0, MAX_TAIL))
      }
    })
    const offClose = client.onClose((code) =>
      setStatus(code === 4401 ? 'the read key was refused' : 'reconnecting…'),
    )
    client.subscribe({ id: 'visitors', site, channel: 'visitors' })
    client.subscribe({ id: 'events', site, channel: 'events' })
    return () => {
      off()
      offClose()
      client.close()
    }
  }, [api, site])
  return (
    <div class="live">
      <section class="stats" aria-label="Now">
        <div class="stat" data-metric="active">
          <div class="stat-label">Visitors now (5 min)</div>
          <div class="stat-value" aria-live="polite">
            {visitors ? count(visitors.active) : '—'}
          </div>
          <div class="stat-change muted">{status}</div>
        </div>
        <div class="stat" data-metric="rate">
          <div class="stat-label">Events per second</div>
          <div class="stat-value">{rate ? count(rate.rate) : '—'}</div>
          <div class="stat-change muted">
            {rate && rate.sample < 1 ? `sampled 1 in ${Math.round(1 / rate.sample)}` : ' '}
          </div>
        </div>
      </section>
      <div class="grid">
        <TopList title="Top pages now" id="live-pages" rows={visitors?.top_pages} />
        <TopList title="Sources now" id="live-sources" rows={visitors?.top_sources} />
        <TopList title="Countries now" id="live-countries" rows={visitors?.top_countries} />
        <section class="card" aria-labelledby="tail-h">
          <header class="card-head">
            <h2 id="tail-h">Events as they arrive</h2>
          </header>
          {tail.length === 0 ? (
            <p class="muted">Waiting for events…</p>
          ) : (
            <ol class="tail" data-events={tail.length}>
              {tail.map((e, i) => (
                <li key={`${e.ts}-${e.person}-${i}`}>
                  <time dateTime={e.ts}>{new Date(e.ts).toLocaleTimeString()}</time>{' '}
                  <strong>{e.event}</strong> {e.path ?? ''}{' '}
                  <span class="muted">{[e.country, e.source].filter(Boolean).join(' · ')}</span>
                </li>
              ))}
            </ol>
          )}
        </section>
      </div>
    </div>
  )
}

function TopList({ title, id, rows }: { title: string; id: string; rows: Top[] | undefined }) {
  return (
    <section class="card" aria-labelledby={`${id}-h`} data-card={id}>
      <header class="card-head">
        <h2 id={`${id}-h`}>{title}</h2>
      </header>
      {!rows || rows.length === 0 ? (
        <p class="muted">Nobody right now.</p>
      ) : (
        <ol class="rows">
          {rows.map((r) => (
            <li key={r.key} class="row static" data-value={r.key} data-count={r.count}>
              <span class="row-label">{r.key}</span>
              <span class="row-value">{count(r.count)}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}
