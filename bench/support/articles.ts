import { randomUUID } from 'node:crypto';
import type { TestDatabase } from '../../core/src/testing/database.ts';

/**
 * Inserts `count` fresh articles (5 000 a statement) and returns their ids. The ingest benchmarks
 * give every request an article of its own: a repeated one answers "already active" (200, no
 * insert, no enqueue), which is cheaper and would flatter the faster side.
 */
export async function createArticles(database: TestDatabase, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 5000) {
    const batch = Array.from({ length: Math.min(5000, count - i) }, () => ({ id: randomUUID(), language: 'en' as const, level: 'B1' as const, targetWords: 150, topic: 'bench' }));
    await database.db.models.Article.bulkCreate(batch);
    ids.push(...batch.map((a) => a.id));
  }
  return ids;
}
