import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { databaseExists, databaseUrl, dropDatabase, openSql, probeDatabase } from '@sightline/metadata/sql'
import { type TempDir, tempDir } from '@sightline/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chooseClusterMetadata, DEFAULT_POSTGRES_URL, metadataDatabaseFor } from '../src/cluster-metadata.ts'
import { metadataUrl } from '../src/metadata.ts'
import { dataLayout, loadOrCreateState } from '../src/workspace.ts'

// Where `npm start -- --cluster` keeps a data directory's metadata (ADR 0033), on the machine's
// PostgreSQL: each case has its own data directory, so its own database, dropped afterwards.
const SERVER = process.env.SIGHTLINE_POSTGRES_URL ?? DEFAULT_POSTGRES_URL
const dirs: TempDir[] = []

async function freshDir() {
  const dir = await tempDir('cluster-metadata-')
  dirs.push(dir)
  const layout = dataLayout(dir.path)
  loadOrCreateState(layout)
  return layout
}
const recorded = (layout: ReturnType<typeof dataLayout>) =>
  (JSON.parse(readFileSync(layout.state, 'utf8')) as { metadata_url?: string }).metadata_url

beforeAll(async () => {
  await probeDatabase(SERVER).catch((err: Error) => {
    throw new Error(`this test needs the machine's PostgreSQL (SIGHTLINE_POSTGRES_URL): ${err.message}`)
  })
})
afterAll(async () => {
  for (const dir of dirs) {
    await dropDatabase(SERVER, metadataDatabaseFor(dir.path))
    await dir.cleanup()
  }
})

describe("a local cluster's metadata database", () => {
  it("is by default the data directory's own PostgreSQL database, made on the first start and recorded", async () => {
    const layout = await freshDir()
    const name = metadataDatabaseFor(layout.root)
    expect(await databaseExists(SERVER, name)).toBe(false)
    const first = await chooseClusterMetadata({ layout, server: SERVER, imported: false })
    expect(first.url).toBe(databaseUrl(SERVER, name))
    expect(first.said).toContain('made just now')
    expect(await databaseExists(SERVER, name)).toBe(true)
    expect(recorded(layout)).toBe(first.url)
    // What the hub and `npm run admin` open when not told otherwise.
    expect(metadataUrl(layout)).toBe(first.url)
    const again = await chooseClusterMetadata({ layout, server: SERVER, imported: true })
    expect(again).toEqual({ url: first.url, said: expect.stringContaining('as recorded') })
  })

  it('keeps its database across starts, and replaces one a removed data directory at the same path left', async () => {
    const layout = await freshDir()
    const { url } = await chooseClusterMetadata({ layout, server: SERVER, imported: false })
    const hasMarker = async () => {
      const sql = await openSql(url)
      try {
        return (await sql.query<{ t: string | null }>("SELECT to_regclass('left_behind') AS t")).rows[0]!.t
      } finally {
        await sql.close()
      }
    }
    const sql = await openSql(url)
    await sql.exec('CREATE TABLE left_behind (x int)')
    await sql.close()
    // The next start of the same data directory (its sites imported by now) keeps it.
    await chooseClusterMetadata({ layout, server: SERVER, imported: true })
    expect(await hasMarker()).toBe('left_behind')
    // `rm -rf` of the data directory, and a new one at the same path: a full reset.
    rmSync(layout.root, { recursive: true, force: true })
    loadOrCreateState(layout)
    const anew = await chooseClusterMetadata({ layout, server: SERVER, imported: false })
    expect(anew.url).toBe(url)
    expect(anew.said).toContain('made anew')
    expect(await hasMarker()).toBeNull()
  })

  it('keeps the metadata in PGlite with --metadata-url pglite, and refuses to move it later', async () => {
    const layout = await freshDir()
    const choice = await chooseClusterMetadata({ layout, given: 'pglite', server: SERVER, imported: false })
    expect(choice.url).toBe(`pglite:${layout.metadata}`)
    expect(recorded(layout)).toBe(choice.url)
    expect(await databaseExists(SERVER, metadataDatabaseFor(layout.root))).toBe(false)
    await expect(
      chooseClusterMetadata({ layout, given: databaseUrl(SERVER, 'other'), server: SERVER, imported: true }),
    ).rejects.toThrow(/metadata is in PGlite in .*, not PostgreSQL/)
    // Without the flag it is what was recorded.
    expect((await chooseClusterMetadata({ layout, server: SERVER, imported: true })).url).toBe(choice.url)
  })

  it('stays in PGlite for a data directory that kept it there before the choice was recorded', async () => {
    const layout = await freshDir()
    mkdirSync(layout.metadata)
    const choice = await chooseClusterMetadata({ layout, server: SERVER, imported: true })
    expect(choice.url).toBe(`pglite:${layout.metadata}`)
    expect(recorded(layout)).toBe(choice.url)
  })

  it('refuses a data directory whose sites went into a database it does not name', async () => {
    const layout = await freshDir()
    await expect(chooseClusterMetadata({ layout, server: SERVER, imported: true })).rejects.toThrow(
      /does not record .* pass that --metadata-url once/,
    )
    expect(recorded(layout)).toBeUndefined()
  })

  it('fails with one line naming the fixes when the server does not answer', async () => {
    const layout = await freshDir()
    const down = 'postgres://postgres@127.0.0.1:1/postgres'
    await expect(chooseClusterMetadata({ layout, server: down, imported: false })).rejects.toThrow(
      /^PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/postgres does not answer .*; start PostgreSQL, pass --postgres-url <server>, or --metadata-url pglite/,
    )
    expect(recorded(layout)).toBeUndefined()
  })
})
