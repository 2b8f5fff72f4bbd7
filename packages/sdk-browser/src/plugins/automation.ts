import type { Tracker } from '../tracker.ts'

/**
 * Adds `context.webdriver` (the WebDriver flag browsers raise under automation) to every event,
 * so the edge's bot verdict can use it (bot reason `webdriver`). Only `true` is reported; a
 * human's browser sends nothing extra.
 */
export function automationSignals(tracker: Tracker, nav: Navigator = navigator): void {
  if (nav.webdriver === true) tracker.context.webdriver = true
}
