import pino from 'pino'

export type LogFn = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void

/** Structured logs; keys, signatures and IPs never reach the log. */
export function createLogger(name: string, level = 'info'): { logger: pino.Logger; log: LogFn } {
  const logger = pino({
    name,
    level,
    redact: {
      paths: [
        '*.write_key',
        '*.read_key',
        '*.signing_key',
        '*.ip',
        'ip',
        'headers.authorization',
        '*.secret',
      ],
      censor: '[redacted]',
    },
  })
  return { logger, log: (lvl, msg, fields) => logger[lvl](fields ?? {}, msg) }
}
