// `<script defer src="https://edge.example/s/scroll.js"></script>` after the s.js tag.
import type { Tracker } from '../tracker.ts'
import { scrollDepth } from './scroll.ts'

scrollDepth((window as unknown as { sightline: Tracker }).sightline)
