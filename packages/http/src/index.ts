export { errorContractProblems, responseContractProblems } from './contract-check.ts'
export { HttpError, type HttpErrorOptions } from './http-error.ts'
export { type ErrorHandlingOptions, installErrorHandling } from './install.ts'
export { DEFAULT_RETRY_AFTER_S, renderError, retryAfterFor } from './render.ts'
export {
  acceptableRequestId,
  REQUEST_ID_HEADER,
  type RequestIdEnv,
  type RequestIdOptions,
  requestId,
} from './request-id.ts'
