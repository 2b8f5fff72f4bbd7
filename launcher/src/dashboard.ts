import { ensureDashboard } from '@sightline/dashboard/build'

/**
 * The dashboard's static files, built now unless the last build is current (ADR 0024). A
 * failed build is reported and the rest starts anyway: the API does not need the page.
 */
export async function dashboardBuild(
  say: (msg: string) => void,
): Promise<{ dashboardDir: string } | { dashboardMissing: string }> {
  try {
    const result = await ensureDashboard()
    if (result.built) say(`built the dashboard in ${Math.round(result.ms)} ms`)
    return { dashboardDir: result.dir }
  } catch (err) {
    const why = `The dashboard build failed when Sightline started: ${(err as Error).message}`
    say(why)
    return { dashboardMissing: why }
  }
}
