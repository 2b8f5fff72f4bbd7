import 'uplot/dist/uPlot.min.css'
import './style.css'
import { render } from 'preact'
import { App } from './app.tsx'
import { applyTheme, storedTheme } from './theme.tsx'

const theme = storedTheme()
applyTheme(theme)
const root = document.getElementById('app')!
// The "Loading…" placeholder from index.html goes; Preact appends to what it finds.
root.textContent = ''
render(<App theme={theme} />, root)
