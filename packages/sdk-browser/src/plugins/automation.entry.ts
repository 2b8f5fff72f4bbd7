// `<script defer src="https://edge.example/s/automation.js"></script>` after the s.js tag.
import type { Tracker } from '../tracker.ts'
import { automationSignals } from './automation.ts'

automationSignals((window as unknown as { sightline: Tracker }).sightline)
