import { describe, expect, it } from 'vitest'
import { hubEnv } from '../src/processes.ts'

describe('the hub process environment', () => {
  it('gives the hub a libuv pool of 8 so reads cannot take every thread from inserts and fsyncs', () => {
    expect(hubEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin', UV_THREADPOOL_SIZE: '8' })
  })

  it('keeps an operator-chosen pool size', () => {
    expect(hubEnv({ UV_THREADPOOL_SIZE: '16' }).UV_THREADPOOL_SIZE).toBe('16')
  })
})
