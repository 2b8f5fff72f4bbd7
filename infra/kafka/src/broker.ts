import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { kafkaClasspath, run } from './classpath.ts'
import { freePort } from './free-port.ts'

export interface KafkaBrokerOptions {
  /** Reuse a data directory (restart after a stop or kill); default: a fresh temp dir, removed on stop. */
  dataDir?: string
  /** Client port; default a free one. Pass the old one when restarting so clients reconnect. */
  port?: number
  /** JVM heap in MiB. Default 512: the machine is shared. */
  heapMb?: number
  /** How long to wait for the broker to answer. Default 60 s. */
  startTimeoutMs?: number
}

export interface KafkaBroker {
  /** `host:port` bootstrap list for clients. */
  brokers: string[]
  port: number
  dataDir: string
  /** The JVM's pid, so a launcher can record it and stop a broker its killed predecessor left. */
  pid: number
  /** Controlled shutdown (SIGTERM, then SIGKILL after 15 s); removes a temp data dir it created. */
  stop(): Promise<void>
  /** kill -9, data dir kept: for crash tests; restart with `startKafka({ dataDir, port })`. */
  kill(): Promise<void>
}

// Base64 of the 16 bytes "SightlineKafka01": a valid cluster UUID; one cluster per data dir.
const CLUSTER_ID = 'U2lnaHRsaW5lS2Fma2EwMQ'

function serverProperties(dataDir: string, port: number, controllerPort: number): string {
  return `${[
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${join(dataDir, 'log')}`,
    // One broker: internal topics cannot have more replicas than that.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // Tests join groups all the time; the 3 s default delay would be paid on every join.
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'num.network.threads=2',
    'num.io.threads=2',
    'log.flush.interval.messages=9223372036854775807',
  ].join('\n')}\n`
}

/** The broker is up when it answers an ApiVersions request (the first thing every client sends). */
function answersApiVersions(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    const clientId = Buffer.from('sightline-probe')
    const request = Buffer.alloc(14 + clientId.length)
    request.writeInt32BE(10 + clientId.length, 0) // size
    request.writeInt16BE(18, 4) // api key: ApiVersions
    request.writeInt16BE(0, 6) // version 0: every broker answers it
    request.writeInt32BE(7, 8) // correlation id
    request.writeInt16BE(clientId.length, 12)
    clientId.copy(request, 14)
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(2000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write(request))
    socket.once('data', (data: Buffer) =>
      done(data.length >= 10 && data.readInt32BE(4) === 7 && data.readInt16BE(8) === 0),
    )
  })
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/**
 * Starts a single combined KRaft broker + controller of the pinned Apache Kafka (infra/kafka)
 * on a free port and resolves once it answers. Throws one clear line when Java or Maven is
 * missing or the broker does not come up (its log is kept in the data dir).
 */
export async function startKafka(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const ownDir = options.dataDir === undefined
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'sightline-kafka-')))
  const port = options.port ?? (await freePort())
  const controllerPort = await freePort()
  const classpath = await kafkaClasspath().catch((err: Error) => {
    throw new Error(`Kafka broker could not start: resolving its jars with Maven failed (${err.message})`)
  })
  const config = join(dataDir, 'server.properties')
  await mkdir(dataDir, { recursive: true })
  await writeFile(config, serverProperties(dataDir, port, controllerPort))
  const heap = `-Xmx${options.heapMb ?? 512}m`
  // Client-VM-like flags: a one-node test broker needs fast start-up, not peak JIT throughput.
  const jvm = [heap, '-Xms64m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xss512k', '-cp', classpath]
  if (!existsSync(join(dataDir, 'log', 'meta.properties'))) {
    await run(
      'java',
      [...jvm, 'kafka.tools.StorageTool', 'format', '-t', CLUSTER_ID, '-c', config],
      dataDir,
    ).catch((err: Error) => {
      throw new Error(`Kafka broker could not start: formatting its storage failed (${err.message})`)
    })
  }
  const logFile = await open(join(dataDir, 'broker.log'), 'a')
  const child = spawn('java', [...jvm, 'kafka.Kafka', config], {
    cwd: dataDir,
    stdio: ['ignore', logFile.fd, logFile.fd],
  })
  let failure: string | undefined
  child.once('error', (err) => (failure = `java could not run: ${err.message}`))
  child.once('exit', (code, signal) => (failure ??= `the broker exited (${signal ?? code}) during start-up`))
  await logFile.close()

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000)
  while (!(await answersApiVersions(port))) {
    if (failure === undefined && Date.now() > deadline) failure = 'it did not answer in time'
    if (failure !== undefined) {
      child.kill('SIGKILL')
      throw new Error(`Kafka broker could not start: ${failure}; see ${join(dataDir, 'broker.log')}`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  child.removeAllListeners('exit')

  let stopped: Promise<void> | undefined
  return {
    brokers: [`127.0.0.1:${port}`],
    port,
    dataDir,
    pid: child.pid!,
    stop() {
      stopped ??= (async () => {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
        await exited(child)
        clearTimeout(timer)
        if (ownDir) await rm(dataDir, { recursive: true, force: true })
      })()
      return stopped
    },
    kill() {
      stopped ??= (async () => {
        child.kill('SIGKILL')
        await exited(child)
      })()
      return stopped
    },
  }
}
