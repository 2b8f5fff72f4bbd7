import { describe, expect, it } from 'vitest'
import { clientSettings, KafkaStreamConfigSchema } from '../src/kafka/config.ts'

describe('Kafka stream config', () => {
  const parse = (extra: object) =>
    KafkaStreamConfigSchema.parse({ kind: 'kafka', brokers: ['127.0.0.1:9092'], ...extra })

  it('defaults to @platformatic/kafka with lz4', () => {
    const config = parse({})
    expect(config.client).toBe('platformatic')
    expect(clientSettings(config).compression).toBe('lz4')
  })

  it('gives kafkajs gzip, the only codec it has built in, unless told otherwise', () => {
    expect(clientSettings(parse({ client: 'kafkajs' })).compression).toBe('gzip')
    expect(clientSettings(parse({ client: 'kafkajs', compression: 'none' })).compression).toBe('none')
    expect(clientSettings(parse({ compression: 'zstd' })).compression).toBe('zstd')
  })

  it('refuses a client or codec it does not know', () => {
    expect(() => parse({ client: 'rdkafka' })).toThrow()
    expect(() => parse({ compression: 'brotli' })).toThrow()
  })
})
