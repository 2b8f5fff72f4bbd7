import { resolve } from 'node:path'
import type { Site } from '@sightline/metadata'
import type { InstallState } from './workspace.ts'

export interface Endpoints {
  edge: string
  ingest: string
  query: string
  /** The web dashboard, served by the query service (sign in with a read key). */
  dashboard: string
  bridge: string
  /** Bearer token for `${bridge}/metrics`. */
  metrics_token: string
  data_dir: string
  /**
   * Every site. read_key only where this install keeps one for its owner (local_read_keys):
   * other read keys exist only as hashes and were shown once, when they were made.
   */
  sites: Array<{ site_id: string; write_key: string; read_key?: string }>
  examples: { send: string; stats: string; trends: string; snippet: string }
}

export function endpointsFor(
  sites: readonly Site[],
  urls: { edge: string; query: string; bridge: string },
  dataDir: string,
  metricsToken: string,
  state: Pick<InstallState, 'local_read_keys'>,
): Endpoints {
  const listed = sites.map((s) => ({
    site_id: s.site_id,
    write_key: s.write_keys[0]!,
    ...(state.local_read_keys[s.site_id] ? { read_key: state.local_read_keys[s.site_id] } : {}),
  }))
  // The examples use a site whose read key the banner may print (the demo site on a new install).
  const site = listed.find((s) => s.read_key) ?? listed[0]!
  const readKey = site.read_key ?? '<read key>'
  const event = {
    batch: [
      {
        type: 'page',
        message_id: 'hello-1',
        anonymous_id: 'visitor-1',
        context: { page: { path: '/' } },
      },
    ],
  }
  return {
    edge: urls.edge,
    ingest: `${urls.edge}/v1/batch`,
    query: urls.query,
    dashboard: `${urls.query}/dashboard/`,
    bridge: urls.bridge,
    metrics_token: metricsToken,
    data_dir: dataDir,
    sites: [site, ...listed.filter((s) => s !== site)],
    examples: {
      // The browser SDK, served by the edge: paste into any page's <head>.
      snippet: `<script defer src="${urls.edge}/s.js" data-key="${site.write_key}"></script>`,
      send: `curl -s ${urls.edge}/v1/batch -u '${site.write_key}:' -H 'content-type: application/json' -d '${JSON.stringify(event)}'`,
      // curl's User-Agent is a bot's, and dashboards leave bots out by default.
      stats: `curl -s '${urls.query}/v1/sites/${site.site_id}/stats?include_bots=true' -H 'authorization: Bearer ${readKey}'`,
      trends: `curl -s '${urls.query}/v1/sites/${site.site_id}/trends?interval=hour&include_bots=true' -H 'authorization: Bearer ${readKey}'`,
    },
  }
}

/**
 * `npm run admin` for this data directory: the command looks in `.sightline` unless told,
 * and the local cluster's default is `.sightline-cluster`.
 */
export function adminCommand(dataDir: string): string {
  return resolve('.sightline') === dataDir ? 'npm run admin --' : `npm run admin -- --data-dir ${dataDir}`
}

export function renderBanner(
  e: Endpoints,
  created: boolean,
  endpointsFile: string,
  mode: 'embedded' | 'cluster' = 'embedded',
  demo?: { site: string; days: number; loading: boolean },
): string {
  const site = e.sites[0]!
  const width = Math.max(...e.sites.map((s) => s.site_id.length))
  return [
    '',
    `  Sightline is running (${mode} mode)`,
    '',
    `  Dashboard     ${e.dashboard}   (sign in with the read key below)`,
    ...(demo
      ? [
          `  Demo data     site ${demo.site}: ${demo.days} days of generated traffic (made up, not yours)${demo.loading ? ', loading in the background' : ''}`,
          '                sign in with its read key to see a full dashboard; npm start -- --no-demo on a new data directory skips it',
        ]
      : []),
    `  Send events   ${e.ingest}`,
    `  Query         ${e.query}/v1/sites/${site.site_id}/stats`,
    `  Data          ${e.data_dir}${created ? '   (created just now, with the demo site)' : ''}`,
    '',
    `  Sites (${e.sites.length})     write key${' '.repeat(24)}read key (secret)`,
    ...e.sites.map(
      (s) =>
        `    ${s.site_id.padEnd(width)}  ${s.write_key}  ${s.read_key ?? '(shown once when made; "npm run admin -- keys create <site> --read")'}`,
    ),
    '',
    '  Try it:',
    `    ${e.examples.send}`,
    `    ${e.examples.stats}`,
    '',
    '  Track a website (paste into its <head>; see docs/sdk.md):',
    `    ${e.examples.snippet}`,
    '',
    `  Manage sites, keys and settings while it runs: ${adminCommand(e.data_dir)} --help`,
    `  The same, for scripts: ${endpointsFile}`,
    '  Ctrl-C stops; the next start resumes where this one stopped.',
    '',
  ].join('\n')
}
