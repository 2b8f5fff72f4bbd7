import { responseContractProblems } from '@sightline/http'
import { afterAll, beforeAll, expect } from 'vitest'
import type { AnswerMeta } from '../src/http/answer-meta.ts'
import { loadProductDataset, PRODUCT_FROM, PRODUCT_SITE, PRODUCT_TO, storedRows } from './product-dataset.ts'
import { resolvePersons } from './reference/persons.ts'
import { type ErrorJson, KEY_A, openTestEnv, post, type TestEnv } from './support.ts'

/**
 * What the cohort tests over the shared product dataset have in common: the site's stored rows
 * and its persons as the references see them, the range under test, and the app over the
 * dataset with a way to ask it (product-web-cohorts.test.ts, product-person-cohorts.test.ts).
 */

/** The product site's rows: what the references run over. */
export const rows = storedRows().filter((r) => r.site_id === PRODUCT_SITE)
/** Who is one person among them, merged independently of the warehouse (reference/persons.ts). */
export const persons = resolvePersons(rows)
export const personOf = persons.personOf
export const from = new Date(PRODUCT_FROM)
export const to = new Date(PRODUCT_TO)
/** The range as long as [from, to) just before it: what `previous` compares with. */
export const previousFrom = new Date(2 * from.getTime() - to.getTime())
/** The start of the range's second local week. */
export const WEEK_2 = '2024-11-04T00:00:00-05:00'

/** Equal to nine decimals: rates and averages the warehouse computes in floating point. */
export const close = (n: number) => expect.closeTo(n, 9)

export interface CohortApp {
  /** The opened app and warehouse, for the GET routes. */
  env(): TestEnv
  /** POSTs the spec to the site's query endpoint; `from` and `to` default to the range under test. */
  query(spec: Record<string, unknown>): Promise<Response>
  /** `query`, expecting a 200: the answer's body, `meta` included. */
  ask<T>(spec: Record<string, unknown>): Promise<T & { meta: AnswerMeta }>
  /** `query`, expecting the 400 invalid_query of the error contract: its body. */
  refused(spec: Record<string, unknown>): Promise<ErrorJson>
}

/**
 * The app over the product dataset, opened before the file's tests and closed after them.
 * Call it once, at the top of a test file (chdb holds one data path per process).
 */
export function productCohortApp(): CohortApp {
  let env: TestEnv | undefined
  beforeAll(async () => {
    env = await openTestEnv({ seed: false })
    await loadProductDataset(env.warehouse)
  })
  afterAll(() => env?.close())

  const opened = (): TestEnv => {
    if (env === undefined) throw new Error('the product app opens in beforeAll: use it inside a test')
    return env
  }
  const query = (spec: Record<string, unknown>) =>
    post(opened().app, `/v1/sites/${PRODUCT_SITE}/query`, KEY_A, {
      from: PRODUCT_FROM,
      to: PRODUCT_TO,
      ...spec,
    })
  // Plain functions over the closure, so a test file may destructure them.
  return {
    env: opened,
    query,
    async ask<T>(spec: Record<string, unknown>) {
      const res = await query(spec)
      expect(res.status, await res.clone().text()).toBe(200)
      return (await res.json()) as T & { meta: AnswerMeta }
    },
    async refused(spec: Record<string, unknown>) {
      const res = await query(spec)
      expect(res.status).toBe(400)
      expect(await responseContractProblems(res)).toEqual([])
      const body = (await res.json()) as ErrorJson
      expect(body.error.code).toBe('invalid_query')
      return body
    },
  }
}
