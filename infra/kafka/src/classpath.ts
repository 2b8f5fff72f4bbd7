import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** This package's folder (infra/kafka): the pom that pins the broker, and the topics file. */
export const KAFKA_INFRA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Runs a command to the end; rejects with its last output lines so the cause is one read away. */
export function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d))
    child.stderr.on('data', (d: Buffer) => (output += d))
    child.once('error', (err) => reject(new Error(`${command} could not run: ${err.message}`)))
    child.once('exit', (code) => {
      if (code === 0) resolve(output)
      else
        reject(
          new Error(
            `${command} ${args.join(' ')} exited ${code}: ${output.trim().split('\n').slice(-5).join(' | ')}`,
          ),
        )
    })
  })
}

/**
 * The broker's Java classpath. Maven resolves the pinned jars into the local Maven repository
 * (~/.m2, so they are downloaded once per machine) and writes the classpath, which is cached
 * next to the pom, keyed by the pom's hash, so later starts need no Maven at all.
 */
export async function kafkaClasspath(): Promise<string> {
  const pom = await readFile(join(KAFKA_INFRA_DIR, 'pom.xml'))
  const hash = createHash('sha256').update(pom).digest('hex').slice(0, 16)
  const cacheDir = join(KAFKA_INFRA_DIR, '.cache')
  const cached = join(cacheDir, `classpath-${hash}.txt`)
  if (existsSync(cached)) {
    const classpath = (await readFile(cached, 'utf8')).trim()
    if (classpath.split(delimiter).every((jar) => existsSync(jar))) return classpath
  }
  await mkdir(cacheDir, { recursive: true })
  const output = `${cached}.tmp`
  await run('mvn', ['-q', '-B', 'dependency:build-classpath', `-Dmdep.outputFile=${output}`], KAFKA_INFRA_DIR)
  const classpath = (await readFile(output, 'utf8')).trim()
  if (classpath === '') throw new Error('Maven resolved an empty Kafka classpath')
  await writeFile(cached, classpath)
  return classpath
}
