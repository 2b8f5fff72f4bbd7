// Applies the ClickHouse migrations to one database. A composition root: reads argv only.
//   tsx packages/warehouse/src/migrate-cli.ts --path ./data/chdb --database sightline
//   tsx packages/warehouse/src/migrate-cli.ts --url http://localhost:8123 --database sightline [--user u --password p]
//   tsx packages/warehouse/src/migrate-cli.ts --print-cluster sightline   (cluster DDL to stdout, nothing run)
import { parseArgs } from 'node:util'
import { clusterMigration } from './cluster-ddl.ts'
import { loadMigrations, migrate } from './migrate.ts'
import { openWarehouse } from './open.ts'
import type { WarehouseConfig } from './port.ts'

const USAGE =
  'usage: migrate-cli (--path DIR | --url URL [--user U] [--password P]) --database NAME [--dir MIGRATIONS]\n' +
  '       migrate-cli --print-cluster CLUSTER [--dir MIGRATIONS]'

type Command =
  | { config: WarehouseConfig; dir: string | undefined }
  | { printCluster: string; dir: string | undefined }

function configFrom(argv: string[]): Command {
  const { values } = parseArgs({
    args: argv,
    options: {
      path: { type: 'string' },
      url: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      database: { type: 'string', default: 'sightline' },
      dir: { type: 'string' },
      'print-cluster': { type: 'string' },
    },
  })
  const database = values.database ?? 'sightline'
  if (values['print-cluster']) return { printCluster: values['print-cluster'], dir: values.dir }
  if (values.path && !values.url)
    return { config: { mode: 'embedded', path: values.path, database }, dir: values.dir }
  if (values.url && !values.path) {
    const config: WarehouseConfig = { mode: 'http', url: values.url, database }
    if (values.user) config.username = values.user
    if (values.password) config.password = values.password
    return { config, dir: values.dir }
  }
  throw new Error(USAGE)
}

/** The statements an operator runs (once, on any node) to create the cluster's tables. */
async function printCluster(cluster: string, dir: string | undefined): Promise<void> {
  for (const migration of clusterMigration(await loadMigrations(dir), { cluster })) {
    console.log(`-- ${migration.file}`)
    for (const statement of migration.statements) console.log(`${statement};\n`)
  }
}

async function main(): Promise<void> {
  const command = configFrom(process.argv.slice(2))
  if ('printCluster' in command) return printCluster(command.printCluster, command.dir)
  const { config, dir } = command
  const where = config.mode === 'embedded' ? config.path : config.url
  console.log(`migrating ${config.mode} warehouse ${where}, database ${config.database}`)
  const warehouse = await openWarehouse(config)
  try {
    const result = await migrate(warehouse, { ...(dir ? { dir } : {}), log: (msg) => console.log(msg) })
    for (const file of result.applied) console.log(`  applied ${file}`)
  } finally {
    await warehouse.close()
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
