import { type WeightedTable, weighted } from '../random.ts'

export type DeviceClass = 'desktop' | 'mobile' | 'tablet'

export interface Screen {
  width: number
  height: number
}

export interface HumanAgent {
  ua: string
  device: DeviceClass
}

// Real strings as browsers sent them in late 2024 / 2025, weighted roughly like a
// developer-tool site's traffic (desktop-heavy, Chrome-led). The edge's device parser is
// tested against these, so they must stay verbatim, not templated.
export const HUMAN_AGENTS: WeightedTable<HumanAgent> = weighted<HumanAgent>([
  [
    {
      device: 'desktop',
      ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    },
    24,
  ],
  [
    {
      device: 'desktop',
      ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    },
    16,
  ],
  [
    {
      device: 'desktop',
      ua: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
    },
    4,
  ],
  [
    {
      device: 'desktop',
      ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
    },
    8,
  ],
  [
    {
      device: 'desktop',
      ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
    },
    4,
  ],
  [
    {
      device: 'desktop',
      ua: 'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0',
    },
    2,
  ],
  [
    {
      device: 'desktop',
      ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
    },
    7,
  ],
  [
    {
      device: 'mobile',
      ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    },
    13,
  ],
  [
    {
      device: 'mobile',
      ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
    },
    2,
  ],
  [
    {
      device: 'mobile',
      ua: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
    },
    12,
  ],
  [
    {
      device: 'mobile',
      ua: 'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36',
    },
    3,
  ],
  [
    {
      device: 'mobile',
      ua: 'Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0',
    },
    1,
  ],
  [
    {
      device: 'tablet',
      ua: 'Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
    },
    3,
  ],
  [
    {
      device: 'tablet',
      ua: 'Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Safari/537.36',
    },
    1,
  ],
])

export const SCREENS: Record<DeviceClass, WeightedTable<Screen>> = {
  desktop: weighted<Screen>([
    [{ width: 1920, height: 1080 }, 30],
    [{ width: 1536, height: 864 }, 12],
    [{ width: 1440, height: 900 }, 14],
    [{ width: 2560, height: 1440 }, 10],
    [{ width: 1366, height: 768 }, 8],
    [{ width: 1728, height: 1117 }, 8],
    [{ width: 1280, height: 720 }, 4],
  ]),
  mobile: weighted<Screen>([
    [{ width: 390, height: 844 }, 20],
    [{ width: 393, height: 852 }, 16],
    [{ width: 430, height: 932 }, 10],
    [{ width: 412, height: 915 }, 14],
    [{ width: 375, height: 667 }, 6],
    [{ width: 360, height: 800 }, 10],
  ]),
  tablet: weighted<Screen>([
    [{ width: 820, height: 1180 }, 3],
    [{ width: 768, height: 1024 }, 2],
    [{ width: 1024, height: 1366 }, 1],
  ]),
}

export type BotKind = 'crawler' | 'headless' | 'script'

export interface BotAgent {
  ua: string
  kind: BotKind
}

// Crawlers announce themselves; headless browsers and scripts are the ones that inflate
// numbers in practice, so both appear.
export const BOT_AGENTS: WeightedTable<BotAgent> = weighted<BotAgent>([
  [{ kind: 'crawler', ua: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' }, 20],
  [
    {
      kind: 'crawler',
      ua: 'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    },
    12,
  ],
  [{ kind: 'crawler', ua: 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)' }, 12],
  [
    {
      kind: 'crawler',
      ua: 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)',
    },
    6,
  ],
  [{ kind: 'crawler', ua: 'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)' }, 5],
  [
    {
      kind: 'headless',
      ua: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
    },
    18,
  ],
  [{ kind: 'script', ua: 'python-requests/2.32.3' }, 14],
  [{ kind: 'script', ua: 'curl/8.5.0' }, 10],
  [{ kind: 'script', ua: 'Go-http-client/1.1' }, 3],
])

// Every bot UA above matches; no human UA above does (asserted in the tests). Deliberately
// simple: this labels *generated* traffic and is not the edge's bot detector.
const BOT_PATTERN = /bot\b|bot\/|crawl|spider|headless|python-requests|curl\/|wget|go-http-client/i

/** True when the User-Agent belongs to the bot side of this generator's catalog. */
export function isBotUserAgent(ua: string | undefined): boolean {
  return ua !== undefined && BOT_PATTERN.test(ua)
}
