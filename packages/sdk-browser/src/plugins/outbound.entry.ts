// `<script defer src="https://edge.example/s/outbound.js"></script>` after the s.js tag.
import type { Tracker } from '../tracker.ts'
import { outboundLinks } from './outbound.ts'

outboundLinks((window as unknown as { sightline: Tracker }).sightline)
