import { ERROR_STATUS, isErrorCode } from '@sightline/contracts'
import { REQUEST_ID_HEADER } from './request-id.ts'

/** Top-level body fields besides `error` that a service may add (documented in errors.md). */
const ALLOWED_EXTRA_FIELDS = new Set(['rejected'])

/**
 * Everything that is wrong with an error response against the contract, as readable lines
 * (empty when it conforms). Pure over status, headers and body text so the same check runs
 * in Node and inside workerd; every service's error-contract test runs its error paths
 * through it.
 */
export function errorContractProblems(status: number, headers: Headers, bodyText: string): string[] {
  const problems: string[] = []
  if (status < 400) return [`status ${status} is not an error`]
  const requestId = headers.get(REQUEST_ID_HEADER)
  if (!requestId) problems.push('no X-Request-Id header')
  if (!(headers.get('content-type') ?? '').includes('application/json')) {
    problems.push(`content-type is ${headers.get('content-type')}`)
  }
  let body: unknown
  try {
    body = JSON.parse(bodyText)
  } catch {
    return [...problems, `body is not JSON: ${bodyText.slice(0, 80)}`]
  }
  const record = (body ?? {}) as Record<string, unknown>
  const error = record.error as Record<string, unknown> | undefined
  if (typeof error !== 'object' || error === null) return [...problems, 'no `error` object']
  for (const key of Object.keys(record)) {
    if (key !== 'error' && !ALLOWED_EXTRA_FIELDS.has(key)) problems.push(`unexpected field ${key}`)
  }
  const code = error.code
  if (!isErrorCode(code)) {
    problems.push(`unknown code ${String(code)}`)
  } else {
    if (ERROR_STATUS[code] !== status)
      problems.push(`code ${code} maps to ${ERROR_STATUS[code]}, got ${status}`)
    if (typeof error.docs !== 'string' || !error.docs.endsWith(`#${code}`))
      problems.push('docs link does not name the code')
  }
  if (typeof error.message !== 'string' || error.message.length === 0) problems.push('empty message')
  if (typeof error.request_id !== 'string' || error.request_id !== requestId) {
    problems.push(`request_id ${String(error.request_id)} differs from the header ${requestId}`)
  }
  const retryLater = status === 429 || status === 503 || status === 504
  const retryAfter = headers.get('retry-after')
  if (retryLater && !/^[1-9]\d*$/.test(retryAfter ?? ''))
    problems.push(`status ${status} without Retry-After`)
  if (!retryLater && retryAfter !== null) problems.push(`status ${status} carries Retry-After`)
  return problems
}

/** Reads a Response (a clone, so the caller can still read it) and checks it. */
export async function responseContractProblems(response: Response): Promise<string[]> {
  const text = await response.clone().text()
  return errorContractProblems(response.status, response.headers, text)
}
