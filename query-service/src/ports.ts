/**
 * What the query service needs from the outside world beyond the warehouse. Kept tiny so the
 * embedded launcher (JSON file) and the cluster (PostgreSQL) can each supply their own.
 */
export interface ReadKeyResolver {
  /** The sites a secret read key may query, or undefined when the key is not known. */
  resolve(readKey: string): Promise<{ siteIds: string[] } | undefined>
}

export type Clock = () => Date
