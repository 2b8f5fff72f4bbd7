import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import type { KafkaDriver } from './driver.ts'

const TopicSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/),
  partitions: z.number().int().min(1),
  replicationFactor: z.number().int().min(1),
  config: z.record(z.string(), z.string()).default({}),
})

export const TopicsFileSchema = z.object({ topics: z.array(TopicSchema).min(1) })
export type TopicsFile = z.infer<typeof TopicsFileSchema>

export async function readTopicsFile(path: string): Promise<TopicsFile> {
  return TopicsFileSchema.parse(JSON.parse(await readFile(path, 'utf8')))
}

export interface AppliedTopic {
  name: string
  action: 'created' | 'updated'
  partitions: number
}

/**
 * Makes the cluster match the topics file; safe to run on every start. Missing topics are
 * created; existing ones get their configs set and partitions added when the file asks for
 * more. Fewer partitions than exist is refused: Kafka cannot shrink a topic, and quietly
 * keeping more would hide that the file and the cluster disagree.
 */
export async function applyTopics(driver: KafkaDriver, file: TopicsFile): Promise<AppliedTopic[]> {
  const existing = await driver.describeTopics(file.topics.map((t) => t.name))
  const applied: AppliedTopic[] = []
  for (const topic of file.topics) {
    const found = existing.get(topic.name)
    if (found === undefined) {
      await driver.createTopic(topic)
      applied.push({ name: topic.name, action: 'created', partitions: topic.partitions })
      continue
    }
    if (found.partitions > topic.partitions) {
      throw new Error(
        `topic ${topic.name} has ${found.partitions} partitions, the topics file asks for ${topic.partitions}: Kafka cannot shrink a topic`,
      )
    }
    if (found.partitions < topic.partitions) await driver.createPartitions(topic.name, topic.partitions)
    if (Object.keys(topic.config).length > 0) await driver.alterTopicConfig(topic.name, topic.config)
    applied.push({ name: topic.name, action: 'updated', partitions: topic.partitions })
  }
  return applied
}
