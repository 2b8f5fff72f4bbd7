import { useEffect, useState } from 'preact/hooks'

export type Loaded<T> = { state: 'loading' } | { state: 'ok'; data: T } | { state: 'error'; message: string }

/** Runs load whenever a dep changes; an answer that arrives after a newer request is dropped. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' })
  useEffect(() => {
    const controller = new AbortController()
    setResult({ state: 'loading' })
    load(controller.signal).then(
      (data) => controller.signal.aborted || setResult({ state: 'ok', data }),
      (err: Error) => controller.signal.aborted || setResult({ state: 'error', message: err.message }),
    )
    return () => controller.abort()
  }, deps)
  return result
}
