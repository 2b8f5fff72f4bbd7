export type {
  AppendResult,
  BatchHandler,
  ConsumeOptions,
  Consumer,
  EventStream,
  RecordBatch,
  StoredRecord,
  StreamRecord,
} from './port.ts'
export { type SegmentLogOptions, segmentLogStream } from './segment-log.ts'
