import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/database.ts';
import { migrateUp, pendingMigrations } from './migrate.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase('schema');
});
afterAll(async () => {
  await t.drop();
});

describe('database schema', () => {
  it('is fully migrated and re-running migrations is a no-op', async () => {
    expect(await pendingMigrations(t.url)).toEqual([]);
    expect(await migrateUp(t.url)).toEqual([]);
  });

  it('allows at most one active job per article, enforced by the database', async () => {
    const { Article, Job } = t.db.models;
    const article = await Article.create({ language: 'en', level: 'B1', targetWords: 150, sourceText: 'x' });
    await Job.create({ articleId: article.id });
    await expect(Job.create({ articleId: article.id })).rejects.toMatchObject({ name: 'SequelizeUniqueConstraintError' });
    await Job.update({ status: 'succeeded' }, { where: { articleId: article.id } });
    await expect(Job.create({ articleId: article.id })).resolves.toBeTruthy();
  });

  it('soft-deletes articles', async () => {
    const { Article } = t.db.models;
    const article = await Article.create({ language: 'de', level: 'A2', targetWords: 100, topic: 'Wetter' });
    await article.destroy();
    expect(await Article.findByPk(article.id)).toBeNull();
    const raw = await Article.findByPk(article.id, { paranoid: false });
    expect(raw?.deletedAt).toBeInstanceOf(Date);
  });

  it('rejects an unknown level at the database too', async () => {
    const { Article } = t.db.models;
    await expect(Article.create({ language: 'en', level: 'D9' as 'A1', targetWords: 100, topic: 'x' })).rejects.toThrow();
  });
});
