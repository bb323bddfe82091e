import { Sequelize } from 'sequelize';
import { defineModels, type Models } from './models.ts';

export interface Database {
  sequelize: Sequelize;
  models: Models;
  close(): Promise<void>;
}

export interface ConnectOptions {
  poolMax?: number;
  /** Statement timeout (ms): a stuck query becomes an error instead of a hung request. */
  statementTimeoutMs?: number;
  logging?: (sql: string) => void;
}

export function connectDatabase(url: string, options: ConnectOptions = {}): Database {
  const sequelize = new Sequelize(url, {
    dialect: 'postgres',
    logging: options.logging ?? false,
    pool: { max: options.poolMax ?? 10, min: 0, acquire: 5_000, idle: 10_000 },
    dialectOptions: {
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      connectionTimeoutMillis: 3_000,
      application_name: 'opad',
    },
    define: { underscored: true, timestamps: true },
  });
  const models = defineModels(sequelize);
  return { sequelize, models, close: () => sequelize.close() };
}
