/**
 * A FIFO gate that lets at most `size` reads run at once. Waiting honours the caller's
 * signal and a deadline, so a queued read fails as a timeout instead of waiting forever.
 */
export class ReadGate {
  private running = 0
  private readonly waiting: Array<() => void> = []
  private readonly size: number

  constructor(size: number) {
    this.size = size
    if (!Number.isInteger(size) || size < 1) throw new Error(`maxConcurrentReads must be ≥ 1, got ${size}`)
  }

  /** Resolves with a release function, or rejects with 'aborted' / 'deadline'. */
  acquire(signal: AbortSignal | undefined, deadlineMs: number): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new GateRefused('aborted'))
    if (this.running < this.size) {
      this.running += 1
      return Promise.resolve(this.releaser())
    }
    return new Promise((resolve, reject) => {
      const enter = () => {
        cleanup()
        this.running += 1
        resolve(this.releaser())
      }
      const leave = (why: 'aborted' | 'deadline') => {
        cleanup()
        const at = this.waiting.indexOf(enter)
        if (at >= 0) this.waiting.splice(at, 1)
        reject(new GateRefused(why))
      }
      const onAbort = () => leave('aborted')
      const timer = setTimeout(() => leave('deadline'), Math.max(0, deadlineMs - Date.now()))
      const cleanup = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(enter)
    })
  }

  private releaser(): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      this.running -= 1
      this.waiting.shift()?.()
    }
  }
}

export class GateRefused extends Error {
  readonly why: 'aborted' | 'deadline'

  constructor(why: 'aborted' | 'deadline') {
    super(
      why === 'aborted' ? 'aborted while waiting for a read slot' : 'no read slot free before the deadline',
    )
    this.why = why
  }
}
