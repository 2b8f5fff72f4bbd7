export * from './client.ts'
export * from './protocol.ts'
