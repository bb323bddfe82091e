import {
  DataTypes,
  Model,
  type CreationOptional,
  type ForeignKey,
  type InferAttributes,
  type InferCreationAttributes,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';
import type { ArticleStatus, JobStatus, Language, Level, Stage } from '../domain.ts';

export class Article extends Model<InferAttributes<Article>, InferCreationAttributes<Article>> {
  declare id: CreationOptional<string>;
  declare ownerId: CreationOptional<string | null>;
  declare sourceUrl: CreationOptional<string | null>;
  declare sourceTitle: CreationOptional<string | null>;
  declare sourceText: CreationOptional<string | null>;
  declare topic: CreationOptional<string | null>;
  declare language: Language;
  declare level: Level;
  declare targetWords: number;
  declare status: CreationOptional<ArticleStatus>;
  declare title: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare deletedAt: CreationOptional<Date | null>;
  declare jobs?: NonAttribute<Job[]>;
}

export class Job extends Model<InferAttributes<Job>, InferCreationAttributes<Job>> {
  declare id: CreationOptional<string>;
  declare articleId: ForeignKey<Article['id']>;
  declare status: CreationOptional<JobStatus>;
  declare progress: CreationOptional<number>;
  declare stage: CreationOptional<Stage | null>;
  declare attempts: CreationOptional<number>;
  declare resultRef: CreationOptional<string | null>;
  declare errorCode: CreationOptional<string | null>;
  declare errorMessage: CreationOptional<string | null>;
  declare inputTokens: CreationOptional<number>;
  declare outputTokens: CreationOptional<number>;
  declare traceContext: CreationOptional<Record<string, string> | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare startedAt: CreationOptional<Date | null>;
  declare finishedAt: CreationOptional<Date | null>;
  declare article?: NonAttribute<Article>;
}

export type Models = { Article: typeof Article; Job: typeof Job };

/**
 * Models mirror the migrations in ./migrations (the migrations own the schema; `sync()` is never
 * used). Each Sequelize instance gets the classes initialised once: tests that open several
 * databases in one process get distinct subclasses so they do not share a connection.
 */
export function defineModels(sequelize: Sequelize): Models {
  class ArticleModel extends Article {}
  class JobModel extends Job {}
  ArticleModel.init(
    {
      id: { type: DataTypes.UUID, defaultValue: DataTypes.UUIDV4, primaryKey: true },
      ownerId: { type: DataTypes.UUID, allowNull: true },
      sourceUrl: { type: DataTypes.TEXT, allowNull: true },
      sourceTitle: { type: DataTypes.TEXT, allowNull: true },
      sourceText: { type: DataTypes.TEXT, allowNull: true },
      topic: { type: DataTypes.TEXT, allowNull: true },
      language: { type: DataTypes.STRING(8), allowNull: false },
      level: { type: DataTypes.STRING(2), allowNull: false },
      targetWords: { type: DataTypes.INTEGER, allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'draft' },
      title: { type: DataTypes.TEXT, allowNull: true },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
      deletedAt: { type: DataTypes.DATE, allowNull: true },
    },
    { sequelize, tableName: 'articles', modelName: 'Article', paranoid: true },
  );
  JobModel.init(
    {
      id: { type: DataTypes.UUID, defaultValue: DataTypes.UUIDV4, primaryKey: true },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'queued' },
      progress: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      stage: { type: DataTypes.STRING(16), allowNull: true },
      attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      resultRef: { type: DataTypes.TEXT, allowNull: true },
      errorCode: { type: DataTypes.STRING(64), allowNull: true },
      errorMessage: { type: DataTypes.TEXT, allowNull: true },
      inputTokens: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      outputTokens: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      traceContext: { type: DataTypes.JSONB, allowNull: true },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
      startedAt: { type: DataTypes.DATE, allowNull: true },
      finishedAt: { type: DataTypes.DATE, allowNull: true },
    },
    { sequelize, tableName: 'jobs', modelName: 'Job' },
  );
  ArticleModel.hasMany(JobModel, { foreignKey: 'articleId', as: 'jobs' });
  JobModel.belongsTo(ArticleModel, { foreignKey: 'articleId', as: 'article' });
  return { Article: ArticleModel, Job: JobModel };
}
