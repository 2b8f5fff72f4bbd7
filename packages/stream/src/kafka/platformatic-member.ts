import {
  Consumer,
  type ConsumerOptions,
  kGetApi,
  type Message,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
} from '@platformatic/kafka'
import type { StoredRecord } from '../port.ts'
import type { GroupMember, GroupOptions, GroupSession } from './driver.ts'

/** Messages buffered by the client's stream; one fetch per partition fits comfortably. */
const HIGH_WATER_MARK = 4096

/** What the member takes from the driver's client settings. */
export interface MemberSettings {
  client: Pick<
    ConsumerOptions<Buffer, Buffer, Buffer, Buffer>,
    'clientId' | 'bootstrapBrokers' | 'retries' | 'retryDelay'
  >
  sessionTimeoutMs: number
  heartbeatIntervalMs: number
}

/** A partition this member holds since the last completed join. */
interface Holding {
  /** The generation it was (re)gained in: records fetched in an earlier one are stale. */
  since: number
  /** The offset after the last record a handler finished (the adapter commits each then). */
  next?: number
}

/**
 * Calls `beforeJoin` before each JoinGroup request the consumer sends. @platformatic/kafka
 * rejoins the moment a heartbeat reports a rebalance and has no revocation callback, so a
 * batch still in a handler then was not committed when the partition's next owner read the
 * group's offset: both members handled it, at the same time. Holding the request back until
 * the batch is committed is what the Java client's onPartitionsRevoked gives (the broker takes
 * commits of the current generation while it waits for members to rejoin). The client looks
 * up each API through `kGetApi`, a symbol it exports, so this one lookup is wrapped.
 */
function beforeEachJoin(consumer: Consumer, beforeJoin: () => Promise<void>): void {
  type GetApi = (name: string, callback: (error: Error | null, api?: unknown) => void) => void
  const client = consumer as unknown as { [kGetApi]: GetApi }
  const getApi = client[kGetApi].bind(consumer)
  client[kGetApi] = (name, callback) => {
    if (name !== 'JoinGroup') return getApi(name, callback)
    beforeJoin().then(
      () => getApi(name, callback),
      (err: Error) => callback(err),
    )
  }
}

/** One member of a consumer group over @platformatic/kafka (see driver.ts for the contract). */
export async function joinPlatformaticGroup(
  settings: MemberSettings,
  options: GroupOptions,
): Promise<GroupMember> {
  const consumer = new Consumer({
    ...settings.client,
    groupId: options.group,
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: settings.heartbeatIntervalMs,
    autocommit: false,
    minBytes: 1,
    maxWaitTime: Math.max(10, options.maxWaitMs),
    maxBytes: options.maxBytes,
    highWaterMark: HIGH_WATER_MARK,
  })
  const held = new Map<number, Holding>()
  // Runs handed over but not (all) delivered because a rebalance began: delivered again
  // first if the partition stays with this member. The client is no help here: it fetches
  // again from the group's offsets after a join, but a fetch that was in flight then can
  // land afterwards and move the position forward again, past the records held back.
  const undelivered = new Map<number, StoredRecord[]>()
  let rebalancing = false
  let stopping = false
  /** Set once the client gave up on this member; the adapter then stops it and joins another. */
  let failed = false
  let handling: Promise<void> | undefined
  let wake: (() => void) | undefined
  const notify = () => {
    const waiting = wake
    wake = undefined
    waiting?.()
  }
  const nextWake = () => new Promise<void>((resolve) => (wake = resolve))

  /**
   * The client does not come back from these by itself: a stream whose fetch ran out of
   * retries is destroyed, and a consumer whose rejoin failed schedules no more heartbeats.
   * From here the member hands nothing over and commits nothing (driver.ts, onFailed).
   */
  function fail(err: unknown): void {
    if (stopping || failed) {
      options.onError(err)
      return
    }
    failed = true
    notify()
    options.onFailed(err)
  }
  // A rejoin that fails for good is emitted as 'error' on the consumer; unheard, it would
  // throw out of the client's callback and end the process.
  consumer.on('error', fail)

  // Emitted once the new assignment is in place, before the stream fetches for it.
  consumer.on('consumer:group:join', () => {
    const assigned = consumer.assignments?.find((a) => a.topic === options.topic)?.partitions ?? []
    const now = new Set(assigned)
    for (const partition of held.keys()) {
      if (now.has(partition)) continue
      held.delete(partition)
      undelivered.delete(partition)
    }
    for (const partition of now)
      if (!held.has(partition)) held.set(partition, { since: consumer.generationId })
    rebalancing = false
    notify()
  })
  // While the JoinGroup waits, no batch starts (revoked() says so) and the one in a handler
  // finishes and commits. A handler slower than half the session would cost the membership
  // itself, so it is left behind then: its batch may be handled again by the next owner.
  beforeEachJoin(consumer, async () => {
    // A member given up must not take partitions again (its client would rejoin on its own,
    // from a heartbeat or from a commit refused for a stale generation) while a new member
    // of the adapter's joins in its place.
    if (failed) throw new Error('this member failed for good and does not rejoin')
    rebalancing = true
    if (handling === undefined) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      handling.catch(() => undefined),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, settings.sessionTimeoutMs / 2))),
    ])
    clearTimeout(timer)
  })

  const stream = await consumer
    .consume({
      topics: [options.topic],
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
    })
    .catch(async (err: unknown) => {
      // The adapter retries the join with a consumer of its own; this one would keep its
      // connections (and any membership it got) open for good.
      await consumer.close(true).catch(() => undefined)
      throw err
    })
  const session: GroupSession = {
    async commit(partition, offset) {
      const holding = held.get(partition)
      // The client would commit in the new generation, moving the group's offset backwards
      // under the partition's new owner.
      if (holding === undefined) throw new Error(`partition ${partition} is no longer held by this member`)
      // Its generation may be over, and the client would then rejoin to commit in a new one
      // (see beforeEachJoin); the batch is the next member's to handle again.
      if (failed) throw new Error(`partition ${partition} not committed: this member failed for good`)
      // Called once the handler finished, so the records are delivered even if the commit fails.
      holding.next = Math.max(holding.next ?? 0, offset)
      await consumer.commit({
        offsets: [{ topic: options.topic, partition, offset: BigInt(offset), leaderEpoch: -1 }],
      })
    },
    revoked: (partition) => stopping || failed || rebalancing || !held.has(partition),
    heartbeat: async () => undefined, // the client heartbeats on its own timer
  }
  stream.on('error', fail)
  // One 'readable' listener for the stream's whole life, never added and removed per wait:
  // the client fetches only while `readableFlowing` is not null, and Node resets it to null
  // when the last 'readable' listener goes. With the listener removed while a run was being
  // handled, the client's next fetch returned without fetching and left Node's read pending,
  // so no read() asked again and no 'readable' came: the member stalled until a rebalance
  // restarted the fetch (found by the rebalance test).
  stream.on('readable', notify)
  stream.on('close', () => {
    if (!stopping && !failed) fail(new Error('the message stream closed'))
    notify()
  })

  /**
   * Groups what is held back and what the stream buffered per partition, in offset order,
   * without what this member should not hand over: partitions it does not hold, records
   * fetched before it (re)gained the partition, and records it delivered already (after each
   * join the client fetches again from the group's offsets, so the buffer repeats some).
   */
  function runsOf(messages: Message[]): Map<number, StoredRecord[]> {
    const runs = new Map(undelivered)
    undelivered.clear()
    for (const m of messages) {
      const holding = held.get(m.partition)
      if (holding === undefined) continue // its holder reads it from the group's offset
      const fetchedIn = (m.metadata.consumer as { generationId?: number } | undefined)?.generationId
      if (fetchedIn !== undefined && fetchedIn < holding.since) continue
      const offset = Number(m.offset)
      let run = runs.get(m.partition)
      const last = run?.at(-1)?.offset
      if (offset < (last === undefined ? (holding.next ?? 0) : last + 1)) continue
      if (run === undefined) {
        run = []
        runs.set(m.partition, run)
      }
      const record = { partition: m.partition, offset, value: m.value }
      run.push(
        m.key === undefined || m.key === null || m.key.length === 0
          ? record
          : { ...record, key: m.key.toString('utf8') },
      )
    }
    return runs
  }

  /** Holds back what the handler did not finish, if the partition is still this member's. */
  function holdBack(partition: number, records: StoredRecord[]): void {
    const holding = held.get(partition)
    if (holding === undefined) return
    const rest = records.filter((r) => r.offset >= (holding.next ?? 0))
    if (rest.length > 0) undelivered.set(partition, rest)
  }

  // Drain what the stream has buffered, hand each partition's run over and wait for it before
  // reading on (the stream pauses at its high-water mark); while a rebalance is under way,
  // hand nothing over and read nothing until the new assignment is known.
  const loop = (async () => {
    while (!stopping && !failed) {
      if (rebalancing) {
        await nextWake()
        continue
      }
      const messages: Message[] = []
      while (messages.length < HIGH_WATER_MARK) {
        const message = stream.read() as Message | null
        if (message === null) break
        messages.push(message)
      }
      const runs = runsOf(messages)
      if (runs.size === 0) {
        // read() returned null, so Node emits 'readable' (asynchronously) on the next push.
        if (messages.length === 0) await nextWake()
        if (stream.destroyed) return
        continue
      }
      for (const [partition, records] of runs) {
        if (stopping || failed) return
        if (rebalancing) {
          holdBack(partition, records)
          continue
        }
        handling = options.onRecords(partition, records, session)
        await handling
        handling = undefined
        holdBack(partition, records)
      }
      // A run the adapter declined while stopping comes straight back: yield to timers and
      // I/O so its stop() gets to end this loop instead of being starved by it.
      if (undelivered.size > 0) await new Promise((resolve) => setImmediate(resolve))
    }
  })().catch(fail)

  return {
    async stop() {
      stopping = true
      notify()
      await loop
      await stream.close().catch(() => undefined)
      await consumer.close(true)
    },
  }
}
