import { type WeightedTable, weighted } from '../random.ts'

export interface Page {
  path: string
  title: string
  /** Section drives navigation affinity: readers of one doc tend to read the next. */
  section: 'marketing' | 'blog' | 'docs' | 'app' | 'auth'
  /** Pages with an embedded video can produce video_played. */
  video?: { id: string; title: string; durationS: number }
}

const BLOG_SLUGS = [
  'why-we-moved-analytics-to-the-edge',
  'counting-unique-visitors-without-cookies',
  'clickhouse-materialized-views-in-practice',
  'bots-are-eating-your-pageviews',
  'funnels-after-identity-merges',
  'self-hosting-on-a-single-vm',
  'introducing-live-view',
  'sessionization-at-scale',
  'ad-blockers-and-first-party-collection',
  'retention-curves-explained',
  'what-we-learned-from-100-billion-events',
  'gdpr-friendly-product-analytics',
  'kafka-exactly-once-is-a-lie',
  'sampling-vs-exact-counts',
  'utm-parameters-a-field-guide',
  'release-notes-2025-q1',
]

const DOCS: Record<string, string[]> = {
  'getting-started': ['installation', 'quickstart', 'concepts', 'first-dashboard'],
  sdk: ['browser', 'node', 'segment-compat', 'posthog-compat', 'pixel'],
  api: ['events', 'queries', 'funnels', 'retention', 'live', 'errors'],
  'self-hosting': ['docker', 'kubernetes', 'clickhouse', 'kafka', 'upgrades'],
  guides: ['identify-users', 'track-signups', 'bot-filtering', 'attribution'],
}

function titleCase(slug: string): string {
  const text = slug.replaceAll('-', ' ')
  return text.charAt(0).toUpperCase() + text.slice(1)
}

function build(): Page[] {
  const pages: Page[] = [
    {
      path: '/',
      title: 'Product analytics that stays in your warehouse',
      section: 'marketing',
      video: { id: 'vid_hero', title: 'Sightline in 90 seconds', durationS: 92 },
    },
    { path: '/pricing', title: 'Pricing', section: 'marketing' },
    {
      path: '/features',
      title: 'Features',
      section: 'marketing',
      video: { id: 'vid_features', title: 'Funnels and retention tour', durationS: 245 },
    },
    { path: '/customers', title: 'Customers', section: 'marketing' },
    { path: '/about', title: 'About us', section: 'marketing' },
    { path: '/changelog', title: 'Changelog', section: 'marketing' },
    { path: '/contact', title: 'Contact sales', section: 'marketing' },
    { path: '/careers', title: 'Careers', section: 'marketing' },
    { path: '/blog', title: 'Blog', section: 'blog' },
    { path: '/docs', title: 'Documentation', section: 'docs' },
    { path: '/signup', title: 'Create your account', section: 'auth' },
    { path: '/login', title: 'Log in', section: 'auth' },
    { path: '/app/dashboard', title: 'Dashboard', section: 'app' },
    { path: '/app/funnels', title: 'Funnels', section: 'app' },
    { path: '/app/live', title: 'Live view', section: 'app' },
    { path: '/app/settings', title: 'Settings', section: 'app' },
    { path: '/app/billing', title: 'Billing', section: 'app' },
  ]
  BLOG_SLUGS.forEach((slug, i) => {
    const page: Page = { path: `/blog/${slug}`, title: titleCase(slug), section: 'blog' }
    // Every fourth post embeds a talk recording.
    if (i % 4 === 0)
      page.video = { id: `vid_${i}`, title: `Talk: ${titleCase(slug)}`, durationS: 600 + i * 37 }
    pages.push(page)
  })
  for (const [section, names] of Object.entries(DOCS)) {
    for (const name of names) {
      pages.push({ path: `/docs/${section}/${name}`, title: `${titleCase(name)} · Docs`, section: 'docs' })
    }
  }
  return pages
}

export const PAGES: readonly Page[] = build()

const bySection = (section: Page['section']): Page[] => PAGES.filter((p) => p.section === section)
const pageAt = (path: string): Page => PAGES.find((p) => p.path === path)!

export const PAGE_HOME = pageAt('/')
export const PAGE_PRICING = pageAt('/pricing')
export const PAGE_SIGNUP = pageAt('/signup')
export const PAGE_LOGIN = pageAt('/login')
export const PAGE_DASHBOARD = pageAt('/app/dashboard')

/** Where an anonymous visitor goes next, by section of the current page. */
const PUBLIC_NAV: WeightedTable<Page> = weighted(
  PAGES.filter((p) => p.section !== 'app').map((p): [Page, number] => [
    p,
    p.path === '/pricing'
      ? 14
      : p.path === '/'
        ? 10
        : p.section === 'auth'
          ? 3
          : p.section === 'marketing'
            ? 4
            : 1,
  ]),
)
export const NAV = {
  public: PUBLIC_NAV,
  blog: weighted(bySection('blog').map((p): [Page, number] => [p, 1])),
  docs: weighted(bySection('docs').map((p): [Page, number] => [p, 1])),
  app: weighted(bySection('app').map((p): [Page, number] => [p, p.path === '/app/dashboard' ? 4 : 1])),
}

/** Landing pages by how the visitor arrived: search lands deep, social lands on posts. */
export const LANDING = {
  search: weighted<Page>([
    ...bySection('docs').map((p): [Page, number] => [p, 2]),
    ...bySection('blog').map((p): [Page, number] => [p, 2]),
    [PAGE_HOME, 20],
    [PAGE_PRICING, 6],
  ]),
  social: weighted<Page>([...bySection('blog').map((p): [Page, number] => [p, 3]), [PAGE_HOME, 6]]),
  direct: weighted<Page>([
    [PAGE_HOME, 12],
    [PAGE_PRICING, 3],
    [pageAt('/docs'), 3],
    [PAGE_LOGIN, 2],
  ]),
  all: weighted(PAGES.filter((p) => p.section !== 'app').map((p): [Page, number] => [p, 1])),
}

/** Bots crawl every public URL, including ones humans rarely reach. */
export const CRAWLABLE: readonly Page[] = PAGES.filter((p) => p.section !== 'app')
