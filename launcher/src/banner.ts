import type { Site } from '@sightline/metadata'

export interface Endpoints {
  edge: string
  ingest: string
  query: string
  bridge: string
  /** Bearer token for `${bridge}/metrics`. */
  metrics_token: string
  data_dir: string
  sites: Array<{ site_id: string; write_key: string; read_key: string }>
  examples: { send: string; stats: string; trends: string; snippet: string }
}

export function endpointsFor(
  sites: readonly Site[],
  urls: { edge: string; query: string; bridge: string },
  dataDir: string,
  metricsToken: string,
): Endpoints {
  const site = sites[0]!
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
    bridge: urls.bridge,
    metrics_token: metricsToken,
    data_dir: dataDir,
    sites: sites.map((s) => ({
      site_id: s.site_id,
      write_key: s.write_keys[0]!,
      read_key: s.read_keys[0]!,
    })),
    examples: {
      // The browser SDK, served by the edge: paste into any page's <head>.
      snippet: `<script defer src="${urls.edge}/s.js" data-key="${site.write_keys[0]}"></script>`,
      send: `curl -s ${urls.edge}/v1/batch -u '${site.write_keys[0]}:' -H 'content-type: application/json' -d '${JSON.stringify(event)}'`,
      // curl's User-Agent is a bot's, and dashboards leave bots out by default.
      stats: `curl -s '${urls.query}/v1/sites/${site.site_id}/stats?include_bots=true' -H 'authorization: Bearer ${site.read_keys[0]}'`,
      trends: `curl -s '${urls.query}/v1/sites/${site.site_id}/trends?interval=hour&include_bots=true' -H 'authorization: Bearer ${site.read_keys[0]}'`,
    },
  }
}

export function renderBanner(e: Endpoints, created: boolean, endpointsFile: string): string {
  const site = e.sites[0]!
  return [
    '',
    '  Sightline is running (embedded mode)',
    '',
    `  Send events   ${e.ingest}`,
    `  Query         ${e.query}/v1/sites/${site.site_id}/stats`,
    `  Site          ${site.site_id}${created ? '   (created just now)' : ''}`,
    `  Write key     ${site.write_key}`,
    `  Read key      ${site.read_key}   (secret)`,
    `  Data          ${e.data_dir}`,
    '',
    '  Try it:',
    `    ${e.examples.send}`,
    `    ${e.examples.stats}`,
    '',
    '  Track a website (paste into its <head>; see docs/sdk.md):',
    `    ${e.examples.snippet}`,
    '',
    `  The same, for scripts: ${endpointsFile}`,
    '  Ctrl-C stops; the next start resumes where this one stopped.',
    '',
  ].join('\n')
}
