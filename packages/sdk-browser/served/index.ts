// The built scripts as data, so the edge worker can serve them without a file system.
// assets.gen.json is written by scripts/build.ts and checked against a fresh build by the tests.
import assets from './assets.gen.json' with { type: 'json' }

export interface ServedScript {
  body: string
  etag: string
}

export const SDK_VERSION: string = assets.version
export const SERVED_SCRIPTS: Readonly<Record<string, ServedScript>> = assets.files
