export * from './dedup-port.ts'
export * from './memory-dedup.ts'
