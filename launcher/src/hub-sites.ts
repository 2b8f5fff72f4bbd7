// The launcher's view of the sites, asked of the running hub (which owns the database).
import type { Site } from '@sightline/metadata'
import { runningAdminUrl } from './admin-client.ts'
import type { DataLayout, InstallState } from './workspace.ts'

export async function sitesFromHub(layout: DataLayout, state: InstallState): Promise<Site[]> {
  const url = await runningAdminUrl(layout, state.admin_token)
  if (!url) throw new Error(`the hub's admin API does not answer (${layout.admin})`)
  const res = await fetch(`${url}/admin/v1/sites`, {
    headers: { authorization: `Bearer ${state.admin_token}` },
  })
  if (!res.ok) throw new Error(`the hub's admin API answered ${res.status}`)
  return ((await res.json()) as { sites: Array<{ site: Site }> }).sites.map((v) => v.site)
}
