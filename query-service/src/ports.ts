/**
 * What the query service needs from the outside world beyond the warehouse. Kept tiny so the
 * embedded launcher (JSON file) and the cluster (PostgreSQL) can each supply their own.
 */
export interface ReadKeyResolver {
  /** The sites a secret read key may query, or undefined when the key is not known. */
  resolve(readKey: string): Promise<{ siteIds: string[] } | undefined>
}

export type Clock = () => Date

/**
 * The data watermark: a token that changes whenever data a query could read has committed
 * (the writer's last loaded batch, dead letters included). The result cache keys every
 * answer by it, so an answer computed before a commit is never found after it.
 */
export interface Watermark {
  current(): string
}
