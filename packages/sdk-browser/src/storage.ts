// Where the tracker keeps its identifiers and its offline queue: localStorage, or memory in
// cookieless mode (and when the browser blocks storage). localStorage rather than IndexedDB
// because it is synchronous: a queue written during `pagehide` is on disk before the page
// goes, where an IndexedDB transaction may never commit (docs/adr/0012).

export interface Store {
  get(key: string): string | null | undefined
  /** Empty string removes. Returns the value, so callers can assign and store in one step. */
  set(key: string, value: string): string
  /** Takes over every queue stored under `prefix` (earlier page loads), deduplicated by message_id. */
  adopt<T extends { message_id: string }>(prefix: string, max: number): T[]
}

export const newId = (): string =>
  crypto.randomUUID
    ? crypto.randomUUID()
    : // randomUUID needs a secure context; plain-http sites still get a random v4-shaped id.
      '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (d) =>
        (+d ^ (crypto.getRandomValues(new Uint8Array(1))[0]! & (15 >> (+d / 4)))).toString(16),
      )

export function storage(persist: boolean): Store {
  const memory: Record<string, string> = {}
  let ls: Storage | undefined
  try {
    // Reading it can throw (storage disabled, sandboxed frames).
    if (persist && localStorage) ls = localStorage
  } catch {}
  const get = (key: string) => (ls ? ls.getItem(key) : memory[key])
  const set = (key: string, value: string) => {
    try {
      if (ls) value ? ls.setItem(key, value) : ls.removeItem(key)
      else if (value) memory[key] = value
      else delete memory[key]
    } catch {}
    return value
  }
  return {
    get,
    set,
    adopt<T extends { message_id: string }>(prefix: string, max: number) {
      const seen: Record<string, 1> = {}
      const out: T[] = []
      for (const key of ls ? Object.keys(ls) : []) {
        if (!key.startsWith(prefix)) continue
        try {
          for (const e of JSON.parse(get(key)!) as T[]) {
            if (!seen[e.message_id]) out.push(e)
            seen[e.message_id] = 1
          }
        } catch {}
        set(key, '')
      }
      return out.slice(-max)
    },
  }
}
