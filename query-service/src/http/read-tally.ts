import type { ReadStats } from '@sightline/warehouse'

/**
 * Sums what the engine read over every statement of one answer (a kind may run a preflight,
 * the rollup's merged-ids check and its plan). The total is only as good as its parts: when a
 * statement ran but its counts never came, there is no total, since a sum would undercount.
 */
export class ReadTally {
  private statements = 0
  private reported = 0
  private rowsRead = 0
  private bytesRead = 0

  /** The `onStats` of one statement about to run; counts it as run. */
  track(): (stats: ReadStats) => void {
    this.statements++
    return (stats) => {
      this.reported++
      this.rowsRead += stats.rowsRead
      this.bytesRead += stats.bytesRead
    }
  }

  total(): ReadStats | undefined {
    if (this.reported < this.statements) return undefined
    return { rowsRead: this.rowsRead, bytesRead: this.bytesRead }
  }
}
