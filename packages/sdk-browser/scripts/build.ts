// Writes the served scripts (served/assets.gen.json, which the edge serves), the ESM build for
// bundlers (dist/) and the size report (SIZE.md). Run after changing anything under src/.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { bundle, bundleEsm, servedAssets, sizeReport } from './bundle.ts'

const root = join(import.meta.dirname, '..')
const built = await bundle()
writeFileSync(join(root, 'served', 'assets.gen.json'), servedAssets(built))
writeFileSync(join(root, 'SIZE.md'), sizeReport(built))
mkdirSync(join(root, 'dist'), { recursive: true })
for (const b of built) writeFileSync(join(root, 'dist', b.name), b.body)
writeFileSync(join(root, 'dist', 'index.mjs'), await bundleEsm())
process.stdout.write(sizeReport(built))
