import type { PubSub, Subscription } from './pubsub-port.ts'

/** In-process twin: synchronous-looking fan-out, delivered on a microtask like a network would be later. */
export function memoryPubSub(): PubSub {
  const handlers = new Map<string, Set<(message: string) => void>>()
  return {
    async publish(channel, message) {
      const set = handlers.get(channel)
      if (!set) return 0
      for (const handler of set) queueMicrotask(() => handler(message))
      return set.size
    },
    async subscribe(channel, onMessage, options): Promise<Subscription> {
      const set = handlers.get(channel) ?? new Set()
      handlers.set(channel, set)
      const handler = (message: string) => onMessage(message)
      set.add(handler)
      options?.onReady?.()
      return {
        async unsubscribe() {
          set.delete(handler)
          if (set.size === 0) handlers.delete(channel)
        },
      }
    },
    async close() {
      handlers.clear()
    },
  }
}
