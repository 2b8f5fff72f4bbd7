import { type WeightedTable, weighted } from '../random.ts'

export type SourceKind = 'search' | 'social' | 'direct'

export interface Source {
  /** Full referrer URL as the browser reports it; '' for direct / stripped referrers. */
  referrer: string
  kind: SourceKind
}

// Search engines send the origin only (Referrer-Policy), social sites their shortener.
export const SOURCES: WeightedTable<Source> = weighted<Source>([
  [{ referrer: 'https://www.google.com/', kind: 'search' }, 36],
  [{ referrer: 'https://www.bing.com/', kind: 'search' }, 4],
  [{ referrer: 'https://duckduckgo.com/', kind: 'search' }, 3],
  [{ referrer: '', kind: 'direct' }, 30],
  [{ referrer: 'https://t.co/', kind: 'social' }, 5],
  [{ referrer: 'https://x.com/', kind: 'social' }, 2],
  [{ referrer: 'https://news.ycombinator.com/', kind: 'social' }, 6],
  [{ referrer: 'https://www.reddit.com/', kind: 'social' }, 3],
  [{ referrer: 'https://www.linkedin.com/', kind: 'social' }, 3],
  [{ referrer: 'https://github.com/', kind: 'social' }, 4],
  [{ referrer: 'https://chatgpt.com/', kind: 'search' }, 2],
])

export interface Campaign {
  source: string
  medium: string
  name: string
  term?: string
  content?: string
  /** What the browser reports alongside the tagged link. */
  referrer: string
  landing: string
}

export const CAMPAIGNS: WeightedTable<Campaign> = weighted<Campaign>([
  [
    {
      source: 'google',
      medium: 'cpc',
      name: 'brand_search_q1',
      term: 'sightline analytics',
      referrer: 'https://www.google.com/',
      landing: '/',
    },
    8,
  ],
  [
    {
      source: 'google',
      medium: 'cpc',
      name: 'competitor_search',
      term: 'self hosted product analytics',
      referrer: 'https://www.google.com/',
      landing: '/pricing',
    },
    5,
  ],
  [
    {
      source: 'newsletter',
      medium: 'email',
      name: 'weekly_digest',
      content: 'header_link',
      referrer: '',
      landing: '/blog',
    },
    6,
  ],
  [
    {
      source: 'twitter',
      medium: 'social',
      name: 'launch_week',
      content: 'thread',
      referrer: 'https://t.co/',
      landing: '/features',
    },
    4,
  ],
  [
    {
      source: 'linkedin',
      medium: 'paid_social',
      name: 'b2b_retargeting',
      referrer: 'https://www.linkedin.com/',
      landing: '/pricing',
    },
    3,
  ],
  [
    {
      source: 'producthunt',
      medium: 'referral',
      name: 'ph_launch',
      referrer: 'https://www.producthunt.com/',
      landing: '/',
    },
    2,
  ],
])

export interface Region {
  locale: string
  timezone: string
}

export const REGIONS: WeightedTable<Region> = weighted<Region>([
  [{ locale: 'en-US', timezone: 'America/New_York' }, 18],
  [{ locale: 'en-US', timezone: 'America/Los_Angeles' }, 12],
  [{ locale: 'en-US', timezone: 'America/Chicago' }, 7],
  [{ locale: 'en-GB', timezone: 'Europe/London' }, 9],
  [{ locale: 'de-DE', timezone: 'Europe/Berlin' }, 8],
  [{ locale: 'fr-FR', timezone: 'Europe/Paris' }, 5],
  [{ locale: 'nl-NL', timezone: 'Europe/Amsterdam' }, 3],
  [{ locale: 'es-ES', timezone: 'Europe/Madrid' }, 3],
  [{ locale: 'pl-PL', timezone: 'Europe/Warsaw' }, 2],
  [{ locale: 'en-IN', timezone: 'Asia/Kolkata' }, 7],
  [{ locale: 'ja-JP', timezone: 'Asia/Tokyo' }, 4],
  [{ locale: 'ko-KR', timezone: 'Asia/Seoul' }, 2],
  [{ locale: 'zh-CN', timezone: 'Asia/Shanghai' }, 3],
  [{ locale: 'pt-BR', timezone: 'America/Sao_Paulo' }, 4],
  [{ locale: 'en-AU', timezone: 'Australia/Sydney' }, 3],
  [{ locale: 'en-CA', timezone: 'America/Toronto' }, 3],
])

export const FIRST_NAMES = [
  'Ada',
  'Grace',
  'Linus',
  'Margaret',
  'Ken',
  'Barbara',
  'Dennis',
  'Frances',
  'Alan',
  'Radia',
  'Guido',
  'Sophie',
  'Yukihiro',
  'Anders',
  'Hedy',
  'Tim',
  'Katherine',
  'Bjarne',
  'Mary',
  'Edsger',
  'Priya',
  'Mateo',
  'Amara',
  'Jonas',
]

export const LAST_NAMES = [
  'Lovelace',
  'Hopper',
  'Torvalds',
  'Hamilton',
  'Thompson',
  'Liskov',
  'Ritchie',
  'Allen',
  'Turing',
  'Perlman',
  'van Rossum',
  'Wilson',
  'Matsumoto',
  'Hejlsberg',
  'Lamarr',
  'Berners-Lee',
  'Johnson',
  'Stroustrup',
  'Keller',
  'Dijkstra',
  'Raman',
  'García',
  'Okafor',
  'Berg',
]

export const COMPANIES = [
  { name: 'Acme Corp', domain: 'acme.test' },
  { name: 'Globex', domain: 'globex.test' },
  { name: 'Initech', domain: 'initech.test' },
  { name: 'Umbrella Labs', domain: 'umbrella.test' },
  { name: 'Hooli', domain: 'hooli.test' },
  { name: 'Stark Industries', domain: 'stark.test' },
  { name: 'Wayne Enterprises', domain: 'wayne.test' },
  { name: 'Pied Piper', domain: 'piedpiper.test' },
]

export const PLANS = weighted<{ name: string; monthly: number }>([
  [{ name: 'free', monthly: 0 }, 50],
  [{ name: 'pro', monthly: 49 }, 30],
  [{ name: 'team', monthly: 199 }, 15],
  [{ name: 'enterprise', monthly: 1200 }, 5],
])

export const SIGNUP_METHODS = weighted<string>([
  ['email', 5],
  ['google', 3],
  ['github', 2],
])

export const CURRENCIES = weighted<string>([
  ['USD', 6],
  ['EUR', 3],
  ['GBP', 1],
])
