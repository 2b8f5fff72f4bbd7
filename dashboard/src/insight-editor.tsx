// The controls the insight views' editors are made of, and the loading of the site's event
// names they pick from. Native selects and inputs with visible labels: keyboard-usable as is.
import type { ComponentChildren } from 'preact'
import { useEffect, useId, useState } from 'preact/hooks'
import type { Api, EventNamesAnswer } from './api.ts'
import { type Loaded, useLoad } from './hooks.ts'
import type { EditorParams, SpecWindow } from './insight-specs.ts'

/** What every insight view gets from the shell. */
export interface InsightProps {
  api: Api
  site: string
  window: SpecWindow
  editor: EditorParams
  onEditor(next: EditorParams): void
}

/** The site's event names in the range, most frequent first (GET /v1/sites/:site/events). */
export function useEventNames(api: Api, site: string, w: SpecWindow): Loaded<string[]> {
  const range = { from: w.from.toISOString(), to: w.to.toISOString() }
  return useLoad(
    async (signal) =>
      (await api.insight<EventNamesAnswer>(site, 'events', { ...range, limit: '100' }, signal)).events.map(
        (e) => e.name,
      ),
    [site, range.from, range.to],
  )
}

/** Runs a spec through POST /query whenever it changes. */
export function useSpec<T>(api: Api, site: string, spec: { kind: string } | undefined): Loaded<T> {
  const text = JSON.stringify(spec ?? null)
  return useLoad<T>(
    (signal) => (spec ? api.query<T>(site, spec, signal) : new Promise<T>(() => {})),
    [site, text],
  )
}

export function Choice<T extends string>({
  label,
  value,
  options,
  onChange,
  names,
}: {
  label: string
  value: T
  options: readonly T[]
  onChange(v: T): void
  /** Display names by value; the value itself otherwise. */
  names?: Partial<Record<T, string>>
}) {
  const id = useId()
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value as T)}>
        {options.map((o) => (
          <option key={o} value={o}>
            {names?.[o] ?? o}
          </option>
        ))}
      </select>
    </div>
  )
}

/** An event name from the site's list; the current value stays selectable even if not listed. */
export function EventSelect({
  label,
  value,
  names,
  onChange,
  anyLabel,
}: {
  label: string
  value: string
  names: string[]
  onChange(v: string): void
  /** When given, an empty choice with this text (e.g. "any event"). */
  anyLabel?: string
}) {
  const id = useId()
  const options = value && !names.includes(value) ? [value, ...names] : names
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {anyLabel !== undefined && <option value="">{anyLabel}</option>}
        {options.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </div>
  )
}

/**
 * What is typed, kept apart from the committed value until Enter or leaving the field: a
 * re-render while typing (an answer arriving) must not put the old value back into the box.
 */
function useDraft(value: string) {
  const [draft, setDraft] = useState(value)
  useEffect(() => setDraft(value), [value])
  return [draft, setDraft] as const
}

export function NumberField({
  label,
  value,
  min,
  max,
  onChange,
}: {
  label: string
  value: number
  min: number
  max: number
  onChange(v: number): void
}) {
  const id = useId()
  const [draft, setDraft] = useDraft(String(value))
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        type="number"
        value={draft}
        min={min}
        max={max}
        step={1}
        onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
        onChange={(e) => {
          const n = Number((e.target as HTMLInputElement).value)
          if (Number.isInteger(n) && n >= min && n <= max) onChange(n)
          else setDraft(String(value))
        }}
      />
    </div>
  )
}

/** Free text (a page path, a property), committed trimmed with Enter or by leaving the field. */
export function TextField({
  label,
  value,
  placeholder,
  onCommit,
}: {
  label: string
  value: string
  placeholder?: string
  onCommit(text: string): void
}) {
  const id = useId()
  const [draft, setDraft] = useDraft(value)
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        type="text"
        value={draft}
        placeholder={placeholder}
        onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
        onChange={(e) => onCommit((e.target as HTMLInputElement).value.trim())}
      />
    </div>
  )
}

/** The editor's box, and the answer below it in its states. */
export function InsightLayout<T>({
  title,
  editor,
  answer,
  children,
}: {
  title: string
  editor: ComponentChildren
  answer: Loaded<T>
  children(data: T): ComponentChildren
}) {
  return (
    <div class="insight">
      <form class="card editor" aria-label={`${title} editor`} onSubmit={(e) => e.preventDefault()}>
        {editor}
      </form>
      {answer.state === 'loading' && <p class="muted">Loading…</p>}
      {answer.state === 'error' && (
        <p class="error" role="alert">
          {answer.message}
        </p>
      )}
      {answer.state === 'ok' && children(answer.data)}
    </div>
  )
}

export function LoadingNames({ names }: { names: Loaded<string[]> }) {
  if (names.state === 'error')
    return (
      <p class="error" role="alert">
        Could not list the site's events: {names.message}
      </p>
    )
  return <p class="muted">Loading the site's events…</p>
}
