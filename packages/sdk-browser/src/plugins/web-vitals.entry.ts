// `<script defer src="https://edge.example/s/web-vitals.js"></script>` after the s.js tag.
import type { Tracker } from '../tracker.ts'
import { webVitals } from './web-vitals.ts'

webVitals((window as unknown as { sightline: Tracker }).sightline)
