// Applies the ClickHouse migrations to one database. A composition root: reads argv only.
//   tsx packages/warehouse/src/migrate-cli.ts --path ./data/chdb --database sightline
//   tsx packages/warehouse/src/migrate-cli.ts --url http://localhost:8123 --database sightline [--user u --password p]
import { parseArgs } from 'node:util'
import { migrate } from './migrate.ts'
import { openWarehouse } from './open.ts'
import type { WarehouseConfig } from './port.ts'

const USAGE =
  'usage: migrate-cli (--path DIR | --url URL [--user U] [--password P]) --database NAME [--dir MIGRATIONS]'

function configFrom(argv: string[]): { config: WarehouseConfig; dir: string | undefined } {
  const { values } = parseArgs({
    args: argv,
    options: {
      path: { type: 'string' },
      url: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      database: { type: 'string', default: 'sightline' },
      dir: { type: 'string' },
    },
  })
  const database = values.database ?? 'sightline'
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

async function main(): Promise<void> {
  const { config, dir } = configFrom(process.argv.slice(2))
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
