import 'uplot/dist/uPlot.min.css'
import './style.css'
import { render } from 'preact'
import { App } from './app.tsx'
import { applyTheme, storedTheme } from './theme.tsx'

const theme = storedTheme()
applyTheme(theme)
render(<App theme={theme} />, document.getElementById('app')!)
