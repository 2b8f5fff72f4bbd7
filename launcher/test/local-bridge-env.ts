import { clusterBridgeEnv } from '../src/bridge-env.ts'
import type { DataLayout, InstallState } from '../src/workspace.ts'

/**
 * The environment cluster.ts gives bridge-1 for a hub with `metadataUrl` and its admin
 * listener at `hubAdminUrl` — the values no test here uses (ports, brokers, Redis) fixed —
 * without the variables it unsets, as a process environment holds them.
 */
export function localBridgeEnv(
  layout: DataLayout,
  state: InstallState,
  metadataUrl: string,
  hubAdminUrl: string,
): Record<string, string> {
  const env = clusterBridgeEnv(
    {
      name: 'bridge-1',
      host: '127.0.0.1',
      port: 0,
      dataRoot: layout.root,
      brokers: ['127.0.0.1:9092'],
      redisUrl: 'redis://127.0.0.1:6379',
      redisPrefix: 'unused:',
      metadataUrl,
      hubAdminUrl,
    },
    state,
  )
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined))
}
