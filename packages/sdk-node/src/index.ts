export {
  type DropReason,
  type DropReport,
  SDK_NAME,
  SDK_VERSION,
  Sightline,
  type SightlineOptions,
  type SightlineStats,
} from './client.ts'
export type {
  AliasMessage,
  GroupMessage,
  IdentifyMessage,
  Identity,
  PageMessage,
  Props,
  TrackMessage,
  WireEvent,
} from './messages.ts'
export { backoffMs, isRetryable, retryAfterMs } from './retry.ts'
