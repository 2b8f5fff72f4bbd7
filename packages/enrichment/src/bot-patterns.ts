/**
 * User-agent patterns for the bot verdict. Kept as data in one place so device parsing
 * (device_type "bot") and bot scoring agree on what a bot UA is.
 */

/** Named crawlers and monitors that say who they are. */
export const KNOWN_BOTS: ReadonlyArray<readonly [name: string, pattern: RegExp]> = [
  ['Googlebot', /googlebot|google-inspectiontool|storebot-google|adsbot-google|mediapartners-google/i],
  ['Google Other', /googleother|google-extended|feedfetcher-google|apis-google|google-read-aloud/i],
  ['Bingbot', /bingbot|bingpreview|msnbot|adidxbot/i],
  ['YandexBot', /yandex(bot|images|metrika|mobilebot|accessibilitybot)/i],
  ['Baiduspider', /baiduspider/i],
  ['DuckDuckBot', /duckduckbot|duckassistbot/i],
  ['Applebot', /applebot/i],
  ['facebookexternalhit', /facebookexternalhit|facebookcatalog|meta-externalagent/i],
  ['Twitterbot', /twitterbot/i],
  ['LinkedInBot', /linkedinbot/i],
  ['Slackbot', /slackbot|slack-imgproxy/i],
  ['Discordbot', /discordbot/i],
  ['WhatsApp', /whatsapp\//i],
  ['TelegramBot', /telegrambot/i],
  ['AhrefsBot', /ahrefs(bot|siteaudit)/i],
  ['SemrushBot', /semrushbot/i],
  ['MJ12bot', /mj12bot/i],
  ['DotBot', /dotbot/i],
  ['PetalBot', /petalbot/i],
  ['GPTBot', /gptbot|chatgpt-user|oai-searchbot/i],
  ['ClaudeBot', /claudebot|claude-web|anthropic-ai/i],
  ['PerplexityBot', /perplexitybot/i],
  ['CCBot', /ccbot/i],
  ['Bytespider', /bytespider/i],
  ['UptimeRobot', /uptimerobot/i],
  ['Pingdom', /pingdom/i],
  ['Lighthouse', /chrome-lighthouse|pagespeed/i],
]

/** Anything that calls itself a bot, or an HTTP library nobody browses with. */
export const GENERIC_BOT =
  /(?<!cu)bot\b|bot\/|crawler|crawling|spider|scraper|slurp|archiver|\bcurl\/|wget\/|python-requests|python-urllib|aiohttp|httpx|go-http-client|java\/|okhttp|apache-httpclient|libwww-perl|\bscrapy|node-fetch|axios\/|undici|\bhttpie|postmanruntime|insomnia/i

/** Headless browsers and automation frameworks that leave a mark in the UA string. */
export const HEADLESS = /headlesschrome|phantomjs|slimerjs|htmlunit|\belectron\//i
export const AUTOMATION = /selenium|webdriver|puppeteer|playwright|cypress|nightmare/i

export function knownBotName(userAgent: string): string | undefined {
  for (const [name, pattern] of KNOWN_BOTS) if (pattern.test(userAgent)) return name
  return undefined
}

export function looksLikeBot(userAgent: string): boolean {
  return knownBotName(userAgent) !== undefined || GENERIC_BOT.test(userAgent)
}
