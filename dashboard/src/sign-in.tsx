import { useState } from 'preact/hooks'
import { Api, ApiError, type KeySites } from './api.ts'

/** The read key is asked for here and kept in sessionStorage by the caller, never in the URL. */
export function SignIn({ onSignedIn }: { onSignedIn(api: Api, sites: KeySites): void }) {
  const [key, setKey] = useState('')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  async function submit(e: Event) {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    const api = new Api(key.trim())
    try {
      onSignedIn(api, await api.sites())
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Sightline did not answer; is it running?')
    } finally {
      setBusy(false)
    }
  }
  return (
    <main class="sign-in">
      <h1>Sightline</h1>
      <form onSubmit={submit}>
        <label for="read-key">Read key</label>
        <input
          id="read-key"
          name="read-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          placeholder="rk_…"
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          aria-describedby="read-key-help"
        />
        <p id="read-key-help" class="muted small">
          Kept in this tab only (session storage); never put in a link. <code>npm start</code> prints one.
        </p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}
