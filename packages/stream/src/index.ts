export {
  type KafkaClient,
  KafkaClientSchema,
  type KafkaStreamConfig,
  KafkaStreamConfigSchema,
  kafkaDriver,
  type StreamConfig,
  StreamConfigSchema,
  streamFromConfig,
} from './kafka/config.ts'
export type { GroupSession, KafkaDriver, OutgoingMessage, TopicConfig } from './kafka/driver.ts'
export { type KafkaStreamOptions, kafkaStream } from './kafka/kafka-stream.ts'
export { type ClientSettings, kafkajsDriver } from './kafka/kafkajs-driver.ts'
export { partitionForKey } from './kafka/murmur2.ts'
export { platformaticDriver } from './kafka/platformatic-driver.ts'
export {
  type AppliedTopic,
  applyTopics,
  readTopicsFile,
  type TopicsFile,
  TopicsFileSchema,
} from './kafka/topics.ts'
export type {
  AppendResult,
  BatchHandler,
  BusyWait,
  ConsumeOptions,
  Consumer,
  EventStream,
  RecordBatch,
  StoredRecord,
  StreamRecord,
} from './port.ts'
export { type SegmentLogOptions, segmentLogStream } from './segment-log.ts'
