// `npm run admin -- --help` and `… <group> --help`: every command, every setting.
import { MIN_EVENTS_PER_MINUTE, SITE_SETTINGS } from '@sightline/metadata'

const GLOBAL = `Options for every command:
  --data-dir <dir>        the install (default .sightline, or SIGHTLINE_DATA_DIR)
  --database-url <url>    act on this metadata database instead (postgres://… or pglite:<dir>)
  --json                  print the API's JSON answer instead of text
  -h, --help              this help (also after a group: "sites --help")

While \`npm start\` runs, commands go through its hub (the change is live when the command
returns; the edge has it within a second). When it is stopped they open the data directory's
database directly and the change applies at the next start. See docs/admin.md.`

export const HELP: Record<string, string> = {
  sites: `admin sites <command>
  list                               every site with its keys (read keys by id)
  show <site>                        one site's settings and keys
  create <site> [--name <name>] [--time-zone <zone>] [--retention-days <days>]
         [--events-per-minute <n>]   a new site with a write key and a read key (the
                                     read key is shown once); "sites add" is the same
  set <site> <setting> <value>       change one setting:
${SITE_SETTINGS.map((s) => `                                       ${s}`).join('\n')}
                                     booleans: on/off, true/false; allowed_origins:
                                     comma-separated origins, or *; events_per_minute:
                                     0 (unlimited) or at least ${MIN_EVENTS_PER_MINUTE}
  retention <site> <days>            the same as "set <site> retention_days <days>"`,
  keys: `admin keys <command>
  list <site>                        the site's write keys and read key ids
  create <site> --write|--read       one more key (the others stay valid)
  rotate <site> [--read]             a fresh key; every current key of that kind is revoked
  revoke <key>                       a write key, or a read key (the key or its id)`,
  goals: `admin goals <command>
  list <site>
  create <site> <name> --event <event_name> | --path <page_path>
  delete <site> <goal_id>`,
  queries: `admin queries <command>          saved queries (specs of POST /v1/sites/:site/query)
  list <site>
  save <site> <name> <spec_json>     creates, or replaces the spec of, that name
  delete <site> <query_id>`,
  persons: `admin persons <command>          a person's data (docs/persons.md); needs npm start running
  export <site> <id> [--out <file>]  everything stored about the person (all merged ids) as
                                     NDJSON, to stdout or a 0600 file
  delete <site> <id> [--wait]        delete every row of the person (events, identity merges,
                                     refused payloads); ClickHouse deletes run in the
                                     background: --wait follows them until no row is left
  deletion <site> <id>...            how far a deletion got (the ids "delete" printed)`,
  kv: `admin kv sync [--env dev|staging|production] [--local [--persist-to <dir>]] [--dry-run]
  makes a Cloudflare (or local wrangler) SITES_KV namespace hold every site's edge view;
  the embedded edge needs none of this: it follows the hub.`,
}

export function usage(group?: string): string {
  if (group && HELP[group]) return `${HELP[group]}\n\n${GLOBAL}\n`
  return `usage: npm run admin -- <group> <command> [options]\n\n${Object.values(HELP).join('\n\n')}\n\n${GLOBAL}\n`
}
