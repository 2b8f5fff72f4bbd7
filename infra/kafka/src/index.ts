// The local Kafka broker: what `npm start -- --cluster`, the cluster tests and the Kafka
// benchmarks run. A runtime dependency of the launcher, so it is not a test helper.
export { type KafkaBroker, type KafkaBrokerOptions, startKafka } from './broker.ts'
// The broker's jars without starting it: what a test checks before it spends a start.
export { kafkaClasspath } from './classpath.ts'
export { freePort } from './free-port.ts'
