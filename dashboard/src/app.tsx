import { useEffect, useMemo, useState } from 'preact/hooks'
import { Api, type KeySites, storedKey, storedSites, storeKey, storeSites } from './api.ts'
import type { InsightProps } from './insight-editor.tsx'
import { lazyView } from './lazy.tsx'
import { Overview } from './overview.tsx'
import { CARDS } from './queries.ts'
import { isoDate, resolveWindow, viewerTimeZone } from './ranges.ts'
import { SignIn } from './sign-in.tsx'
import { type Theme, ThemeToggle } from './theme.tsx'
import {
  type Dimension,
  type Filter,
  type InsightView as InsightViewName,
  isInsightView,
  parseState,
  RANGE_KINDS,
  type RangeKind,
  serializeState,
  type View,
  type ViewState,
  withFilter,
} from './url-state.ts'

const Live = lazyView(() => import('./live.tsx').then((m) => m.Live))
const Health = lazyView(() => import('./health.tsx').then((m) => m.Health))
const Audit = lazyView(() => import('./audit.tsx').then((m) => m.Audit))
const Funnels = lazyView(() => import('./funnels.tsx').then((m) => m.Funnels))
const Retention = lazyView(() => import('./retention.tsx').then((m) => m.Retention))
const Paths = lazyView(() => import('./paths.tsx').then((m) => m.Paths))
const Attribution = lazyView(() => import('./attribution.tsx').then((m) => m.Attribution))

/** The site npm start fills with generated traffic (launcher/src/workspace.ts, DEMO_DATA_SITE). */
const DEMO_DATA_SITE = 'demo-shop'

const VIEW_LABELS: Record<View, string> = {
  overview: 'Overview',
  live: 'Live',
  health: 'Ingestion',
  funnels: 'Funnels',
  retention: 'Retention',
  paths: 'Paths',
  attribution: 'Attribution',
  audit: 'Audit',
}
const RANGE_LABELS: Record<RangeKind, string> = {
  today: 'Today',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  month: 'This month',
  custom: 'Custom…',
}
const DIMENSION_LABELS: Record<string, string> = {
  device_type: 'device',
  entry_page: 'entry page',
  exit_page: 'exit page',
}

export function App({ theme }: { theme: Theme }) {
  const [state, setState] = useState<ViewState>(() => parseState(location.search))
  const [session, setSession] = useState<{ api: Api; sites: KeySites } | undefined>(() => {
    const key = storedKey()
    const sites = storedSites()
    return key && sites ? { api: new Api(key), sites } : undefined
  })
  const [checking, setChecking] = useState(() => storedKey() !== undefined && session === undefined)
  const [tabs, setTabs] = useState<Record<string, Dimension>>(() =>
    Object.fromEntries(CARDS.map((c) => [c.id, c.tabs[0]!])),
  )

  // A key from an earlier sign-in in this tab: check it is still good (and its sites current)
  // while the view renders from what this tab saw last.
  useEffect(() => {
    const key = storedKey()
    if (!key) return
    const api = session?.api ?? new Api(key)
    api.sites().then(
      (r) => {
        storeSites(r)
        setSession({ api, sites: r })
        setChecking(false)
      },
      () => {
        storeKey(undefined)
        setSession(undefined)
        setChecking(false)
      },
    )
  }, [])
  useEffect(() => {
    const onPop = () => setState(parseState(location.search))
    addEventListener('popstate', onPop)
    return () => removeEventListener('popstate', onPop)
  }, [])

  const site =
    session && (state.site && session.sites.sites.includes(state.site) ? state.site : session.sites.sites[0])
  // Days and chart buckets follow the site's own zone (its time_zone setting), not the viewer's.
  const tz = (site && session?.sites.time_zones?.[site]) || viewerTimeZone()
  // The URL always says what is on screen (without the key): copy it to share the view.
  useEffect(() => {
    if (!site) return
    const next = `${location.pathname}${serializeState({ ...state, site })}`
    if (next !== `${location.pathname}${location.search}`) history.replaceState(null, '', next)
  }, [state, site])

  useEffect(() => {
    // Signed in and the controls on screen: the page's own part of the first view.
    if (session && !performance.getEntriesByName('sightline:shell').length)
      performance.mark('sightline:shell')
  }, [session])

  const window = useMemo(
    () => resolveWindow(state.range, new Date(), { from: state.from, to: state.to }, tz),
    [state.range, state.from, state.to, tz],
  )

  if (checking) return <p class="boot">Loading Sightline…</p>
  if (!session || !site) {
    return (
      <SignIn
        onSignedIn={(api, sites) => {
          storeKey(api.key)
          storeSites(sites)
          setSession({ api, sites })
        }}
      />
    )
  }
  // Navigation is a new history entry; editing the range or filters replaces it.
  const go = (patch: Partial<ViewState>) => {
    const next = { ...state, site, ...patch }
    history.pushState(null, '', `${location.pathname}${serializeState(next)}`)
    setState(next)
  }
  const addFilter = (f: Filter) => go({ filters: withFilter(state.filters, f) })
  const removeFilter = (f: Filter) => go({ filters: state.filters.filter((x) => x !== f) })
  const signOut = () => {
    storeKey(undefined)
    setSession(undefined)
  }

  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="brand">Sightline</div>
        <label class="field">
          <span class="sr-only">Site</span>
          <select
            aria-label="Site"
            value={site}
            onChange={(e) => go({ site: (e.target as HTMLSelectElement).value, filters: [], editor: [] })}
          >
            {session.sites.sites.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        {site === 'demo' && (
          <span class="badge" title="The first site that npm start creates (empty until you send events)">
            demo
          </span>
        )}
        {site === DEMO_DATA_SITE && (
          <span
            class="badge badge-demo-data"
            title="Made-up traffic that npm start generates for a new install"
          >
            demo data (generated)
          </span>
        )}
        <nav aria-label="Views" class="views">
          {(Object.keys(VIEW_LABELS) as View[]).map((v) => (
            <a
              key={v}
              href={serializeState({ ...state, site, view: v }) || '?'}
              aria-current={state.view === v ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault()
                go({ view: v, editor: [] })
              }}
            >
              {VIEW_LABELS[v]}
            </a>
          ))}
        </nav>
        <div class="spacer" />
        <ThemeToggle initial={theme} />
        <button type="button" class="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      {state.view !== 'live' && (
        <div class="controls">
          <label class="field">
            <span>Range</span>
            <select
              value={state.range}
              onChange={(e) => {
                const range = (e.target as HTMLSelectElement).value as RangeKind
                go(
                  range === 'custom'
                    ? {
                        range,
                        from: isoDate(window.from, tz),
                        to: isoDate(new Date(window.to.getTime() - 1), tz),
                      }
                    : { range, from: undefined, to: undefined },
                )
              }}
            >
              {RANGE_KINDS.map((r) => (
                <option key={r} value={r}>
                  {RANGE_LABELS[r]}
                </option>
              ))}
            </select>
          </label>
          {state.range === 'custom' && (
            <>
              <label class="field">
                <span>From</span>
                <input
                  type="date"
                  value={state.from}
                  onChange={(e) => go({ from: (e.target as HTMLInputElement).value })}
                />
              </label>
              <label class="field">
                <span>To</span>
                <input
                  type="date"
                  value={state.to}
                  onChange={(e) => go({ to: (e.target as HTMLInputElement).value })}
                />
              </label>
            </>
          )}
          <span
            class="muted small tz"
            data-tz={tz}
            title="Days and hours are counted in the site's time zone"
          >
            Site time: {tz}
          </span>
          {state.filters.length > 0 && !isInsightView(state.view) && (
            <ul class="chips" aria-label="Filters">
              {state.filters.map((f) => (
                <li key={f.dimension} class="chip" data-filter={`${f.dimension}:${f.value}`}>
                  <span>
                    {DIMENSION_LABELS[f.dimension] ?? f.dimension} is <strong>{f.value || '(none)'}</strong>
                  </span>
                  <button
                    type="button"
                    aria-label={`Remove filter ${f.dimension} is ${f.value || '(none)'}`}
                    onClick={() => removeFilter(f)}
                  >
                    ×
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <main id="main" tabIndex={-1}>
        {state.view === 'overview' && (
          <Overview
            api={session.api}
            site={site}
            window={window}
            filters={state.filters}
            tabs={tabs}
            onTab={(card, tab) => setTabs({ ...tabs, [card]: tab })}
            onFilter={addFilter}
          />
        )}
        {state.view === 'live' && <Live api={session.api} site={site} />}
        {state.view === 'health' && <Health api={session.api} site={site} window={window} />}
        {isInsightView(state.view) && (
          <InsightView
            view={state.view}
            props={{
              api: session.api,
              site,
              window: { from: window.from, to: window.to, tz },
              editor: state.editor,
              onEditor: (editor) => go({ editor }),
            }}
          />
        )}
        {state.view === 'audit' && (
          <Audit api={session.api} site={site} window={window} filters={state.filters} tabs={tabs} />
        )}
      </main>
    </div>
  )
}

/** The four insight views, each its own chunk, keyed by view so an editor never leaks into another. */
function InsightView({ view, props }: { view: InsightViewName; props: InsightProps }) {
  const View = { funnels: Funnels, retention: Retention, paths: Paths, attribution: Attribution }[view]
  return <View key={view} {...props} />
}
