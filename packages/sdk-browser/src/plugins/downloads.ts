import type { Tracker } from '../tracker.ts'

/** Extensions counted as downloads (lower case, without the dot); links with `download` always are. */
export const DOWNLOAD_EXTENSIONS = [
  'pdf',
  'zip',
  'gz',
  'tgz',
  'rar',
  '7z',
  'dmg',
  'pkg',
  'exe',
  'msi',
  'apk',
  'deb',
  'rpm',
  'csv',
  'xls',
  'xlsx',
  'doc',
  'docx',
  'ppt',
  'pptx',
  'odt',
  'ods',
  'txt',
  'rtf',
  'epub',
  'mp3',
  'mp4',
  'mov',
  'avi',
  'wav',
  'iso',
]

/** Tracks clicks on links to files as `File Download` with the file's `url`. */
export function fileDownloads(
  tracker: Tracker,
  doc: Document = document,
  extensions = DOWNLOAD_EXTENSIONS,
): void {
  const pattern = new RegExp(`\\.(${extensions.join('|')})$`, 'i')
  const onClick = (e: MouseEvent) => {
    const link = (e.target as Element | null)?.closest?.('a[href]') as HTMLAnchorElement | null
    if (!link || !/^https?:$/.test(link.protocol)) return
    if (link.hasAttribute('download') || pattern.test(link.pathname)) {
      tracker.track('File Download', { url: link.href })
    }
  }
  doc.addEventListener('click', onClick, true)
  doc.addEventListener('auxclick', (e) => e.button === 1 && onClick(e), true)
}
