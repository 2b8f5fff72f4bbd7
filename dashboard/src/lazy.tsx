import type { ComponentType } from 'preact'
import { useEffect, useState } from 'preact/hooks'

/** A view loaded on first use (its own chunk), so the first view stays small. */
export function lazyView<P extends object>(load: () => Promise<ComponentType<P>>) {
  let cached: ComponentType<P> | undefined
  return function Lazy(props: P) {
    const [View, setView] = useState<ComponentType<P> | undefined>(() => cached)
    const [failed, setFailed] = useState<string>()
    useEffect(() => {
      if (!cached) {
        load().then(
          (v) => setView(() => (cached = v)),
          (err: Error) => setFailed(err.message),
        )
      }
    }, [])
    if (failed)
      return (
        <p class="error" role="alert">
          Could not load this view: {failed}
        </p>
      )
    return View ? <View {...props} /> : <p class="muted">Loading…</p>
  }
}
