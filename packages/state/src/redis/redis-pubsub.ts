import type { Redis } from 'ioredis'
import type { PubSub, Subscription } from '../pubsub-port.ts'
import { checkPrefix } from './keys.ts'

/**
 * Redis PUBLISH/SUBSCRIBE under the key prefix. Subscriptions use their own connection
 * (a subscribed connection can do nothing else); ioredis re-subscribes after a reconnect
 * and `onReady` fires again then, so consumers can catch up on what they missed.
 */
export function redisPubSub(client: Redis, options: { prefix?: string } = {}): PubSub {
  const prefix = checkPrefix(options.prefix ?? 'sl:')
  const name = (channel: string) => `${prefix}${channel}`
  let subscriber: Redis | undefined
  const handlers = new Map<string, Set<(message: string) => void>>()
  const readyListeners = new Set<() => void>()

  async function connection(): Promise<Redis> {
    if (subscriber) return subscriber
    // The offline queue is on for this one: a SUBSCRIBE issued while reconnecting is replayed.
    const sub = client.duplicate({ enableOfflineQueue: true, lazyConnect: true })
    sub.on('error', () => {})
    sub.on('message', (channel: string, message: string) => {
      for (const handler of handlers.get(channel) ?? []) handler(message)
    })
    // 'ready' after a reconnect follows the re-subscription ioredis does itself.
    let first = true
    sub.on('ready', () => {
      if (first) {
        first = false
        return
      }
      for (const listener of readyListeners) listener()
    })
    subscriber = sub
    await sub.connect()
    return sub
  }

  return {
    publish: (channel, message) => client.publish(name(channel), message),
    async subscribe(channel, onMessage, subscribeOptions): Promise<Subscription> {
      const sub = await connection()
      const full = name(channel)
      const known = handlers.get(full)
      const set = known ?? new Set<(message: string) => void>()
      if (!known) {
        handlers.set(full, set)
        await sub.subscribe(full)
      }
      set.add(onMessage)
      const onReady = subscribeOptions?.onReady
      if (onReady) readyListeners.add(onReady)
      onReady?.()
      return {
        async unsubscribe() {
          set.delete(onMessage)
          if (onReady) readyListeners.delete(onReady)
          if (set.size === 0) {
            handlers.delete(full)
            await sub.unsubscribe(full)
          }
        },
      }
    },
    async close() {
      handlers.clear()
      readyListeners.clear()
      subscriber?.disconnect()
      subscriber = undefined
    },
  }
}
