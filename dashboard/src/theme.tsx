import { useEffect, useState } from 'preact/hooks'

export type Theme = 'auto' | 'light' | 'dark'
const STORAGE = 'sightline.theme'

export function storedTheme(): Theme {
  const t = localStorage.getItem(STORAGE)
  return t === 'light' || t === 'dark' ? t : 'auto'
}

/** `auto` follows the system (prefers-color-scheme); the choice is kept per browser. */
export function applyTheme(theme: Theme): void {
  if (theme === 'auto') delete document.documentElement.dataset.theme
  else document.documentElement.dataset.theme = theme
}

const NEXT: Record<Theme, Theme> = { auto: 'dark', dark: 'light', light: 'auto' }

export function ThemeToggle({ initial }: { initial: Theme }) {
  const [theme, setTheme] = useState(initial)
  return (
    <button
      type="button"
      class="link"
      aria-label={`Theme: ${theme}. Switch to ${NEXT[theme]}`}
      onClick={() => {
        const next = NEXT[theme]
        localStorage.setItem(STORAGE, next)
        applyTheme(next)
        setTheme(next)
      }}
    >
      {theme === 'dark' ? '☾ Dark' : theme === 'light' ? '☀ Light' : '◐ Auto'}
    </button>
  )
}

/**
 * A number that changes whenever the colours in effect change: the toggle (`data-theme` on
 * the root) or, under `auto`, the system's scheme. Canvas charts read their colours once when
 * drawn, so they redraw when this changes.
 */
export function useThemeChange(): number {
  const [version, setVersion] = useState(0)
  useEffect(() => {
    const bump = () => setVersion((v) => v + 1)
    const toggled = new MutationObserver(bump)
    toggled.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] })
    const system = matchMedia('(prefers-color-scheme: dark)')
    system.addEventListener('change', bump)
    return () => {
      toggled.disconnect()
      system.removeEventListener('change', bump)
    }
  }, [])
  return version
}
