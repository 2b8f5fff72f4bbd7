// The local broker lives in infra/kafka (the cluster launcher runs it too); tests reach it here.
export { type KafkaBroker, type KafkaBrokerOptions, startKafka } from '@sightline/kafka-local'
export { CHROMIUM_ARGS, chromiumPath } from './browser.ts'
export { type BotAgent, type DeviceClass, type HumanAgent, isBotUserAgent } from './catalog/agents.ts'
export { type ExpectedCounts, expectedCounts, type TrafficCounts } from './counts.ts'
export { eventually } from './eventually.ts'
export {
  type BatchOptions,
  createGenerator,
  type EventGenerator,
  type GeneratorOptions,
  type NativeBatch,
} from './generator.ts'
export { hashSeed, Rng, type Seed } from './random.ts'
export { freePort, type TempDir, tempDir } from './tmp.ts'
