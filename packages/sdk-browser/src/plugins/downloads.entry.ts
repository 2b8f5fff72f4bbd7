// `<script defer src="https://edge.example/s/downloads.js"></script>` after the s.js tag.
import type { Tracker } from '../tracker.ts'
import { fileDownloads } from './downloads.ts'

fileDownloads((window as unknown as { sightline: Tracker }).sightline)
