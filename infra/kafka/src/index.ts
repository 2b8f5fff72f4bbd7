// The local Kafka broker: what `npm start -- --cluster`, the cluster tests and the Kafka
// benchmarks run. A runtime dependency of the launcher, so it is not a test helper.
export { type KafkaBroker, type KafkaBrokerOptions, startKafka } from './broker.ts'
export { freePort } from './free-port.ts'
