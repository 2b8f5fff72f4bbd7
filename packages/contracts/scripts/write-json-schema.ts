// Regenerates packages/contracts/schema/*.json: `npm run exec tsx packages/contracts/scripts/write-json-schema.ts`
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { eventJsonSchemas } from '../src/json-schema.ts'

const dir = join(import.meta.dirname, '..', 'schema')
for (const [name, schema] of Object.entries(eventJsonSchemas())) {
  writeFileSync(join(dir, name), `${JSON.stringify(schema, null, 2)}\n`)
  console.log(`wrote ${join(dir, name)}`)
}
