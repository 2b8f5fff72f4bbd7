import { LIMITS } from './limits.ts'

/** Keys that could reach an object's prototype if any consumer ever merges payloads. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

export interface StructureLimits {
  maxDepth: number
  maxKeys: number
  maxStringLength: number
}

const DEFAULT_STRUCTURE: StructureLimits = {
  maxDepth: LIMITS.maxDepth,
  maxKeys: LIMITS.maxPropertyKeys,
  maxStringLength: LIMITS.maxStringLength,
}

/**
 * Walks a parsed JSON value without recursion (hostile input must not blow the stack)
 * and returns the first limit it breaks, or undefined. Depth is counted from the value
 * given: an event object is depth 0, its `properties` object depth 1.
 */
export function findStructureProblem(
  root: unknown,
  limits: StructureLimits = DEFAULT_STRUCTURE,
): string | undefined {
  let keys = 0
  const stack: Array<[unknown, number, string]> = [[root, 0, '']]
  while (stack.length > 0) {
    const [value, depth, path] = stack.pop()!
    if (typeof value === 'string') {
      if (value.length > limits.maxStringLength) {
        return `string at ${path || 'root'} is longer than ${limits.maxStringLength} characters`
      }
      if (!value.isWellFormed()) return `string at ${path || 'root'} is not valid Unicode`
      continue
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return `number at ${path || 'root'} is not finite`
      continue
    }
    if (value === null || typeof value !== 'object') continue
    if (depth > limits.maxDepth) return `nesting deeper than ${limits.maxDepth} at ${path}`
    if (Array.isArray(value)) {
      keys += value.length
      if (keys > limits.maxKeys) return `more than ${limits.maxKeys} keys and items`
      for (let i = 0; i < value.length; i++) stack.push([value[i], depth + 1, `${path}[${i}]`])
      continue
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) return `key "${key}" is not allowed (at ${path || 'root'})`
      if (key.length > limits.maxStringLength) return `a key at ${path || 'root'} is too long`
      if (!key.isWellFormed()) return `a key at ${path || 'root'} is not valid Unicode`
      keys += 1
      if (keys > limits.maxKeys) return `more than ${limits.maxKeys} keys and items`
      stack.push([(value as Record<string, unknown>)[key], depth + 1, path ? `${path}.${key}` : key])
    }
  }
  return undefined
}
