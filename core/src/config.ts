import { z } from 'zod';

/**
 * Configuration comes from the environment only (12-factor). Each service composes its own
 * zod schema from the fragments below and calls `loadConfig` once at start: a bad or missing
 * variable stops the process with a message naming it.
 */

export class ConfigError extends Error {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Empty strings count as unset, so `FOO=` in a .env file falls back to the default. */
const emptyAsUndefined = (value: unknown): unknown => (value === '' ? undefined : value);

export const optionalString = () => z.preprocess(emptyAsUndefined, z.string().optional());
export const port = (fallback: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65535).default(fallback));
export const positiveInt = (fallback: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().positive().default(fallback));
export const booleanFlag = (fallback: boolean) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  );
const url = (protocols: readonly string[]) =>
  z
    .string()
    .url()
    .refine((v) => protocols.some((p) => v.startsWith(`${p}://`)), {
      message: `must start with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    });

export const logLevel = z.preprocess(
  emptyAsUndefined,
  z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
);

export const databaseUrl = url(['postgres', 'postgresql']);
export const redisUrl = z.preprocess(emptyAsUndefined, url(['redis', 'rediss']).default('redis://127.0.0.1:6379'));
export const queuePrefix = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, dot, dash and underscore only')
    .default('opad'),
);

/** Object store: S3-compatible when S3_BUCKET (or R2_BUCKET) is set, a directory otherwise. */
export const storageFields = {
  S3_ENDPOINT: optionalString(),
  S3_BUCKET: optionalString(),
  S3_REGION: optionalString(),
  S3_ACCESS_KEY_ID: optionalString(),
  S3_SECRET_ACCESS_KEY: optionalString(),
  S3_FORCE_PATH_STYLE: booleanFlag(false),
  STORAGE_DIR: z.preprocess(emptyAsUndefined, z.string().default('.opad/objects')),
};

/** Cloudflare R2 names accepted as aliases of the S3_* variables (S3_* wins when both are set). */
const R2_ALIASES: Readonly<Record<string, string>> = {
  R2_ENDPOINT: 'S3_ENDPOINT',
  R2_BUCKET: 'S3_BUCKET',
  R2_ACCESS_KEY_ID: 'S3_ACCESS_KEY_ID',
  R2_SECRET_ACCESS_KEY: 'S3_SECRET_ACCESS_KEY',
};

export type Env = Readonly<Record<string, string | undefined>>;

export function applyAliases(env: Env): Env {
  const out: Record<string, string | undefined> = { ...env };
  for (const [alias, name] of Object.entries(R2_ALIASES)) {
    if ((out[name] === undefined || out[name] === '') && out[alias]) out[name] = out[alias];
  }
  // R2 is always addressed through an account endpoint; its region is "auto".
  if (!out.S3_REGION && out.R2_ENDPOINT) out.S3_REGION = 'auto';
  return out;
}

export function loadConfig<S extends z.ZodType>(schema: S, env: Env = process.env): z.infer<S> {
  const result = schema.safeParse(applyAliases(env));
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const given = issue.path.length === 1 ? env[String(issue.path[0])] : undefined;
      return given === undefined ? `${name}: ${issue.message} (not set)` : `${name}: ${issue.message}`;
    }),
  );
}

/** For `main.ts`: print the named variables and exit instead of a stack trace. */
export function loadConfigOrExit<S extends z.ZodType>(schema: S, service: string, env: Env = process.env): z.infer<S> {
  try {
    return loadConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`opad-${service}: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

/** The variables a schema cannot do without (no default, not optional): what a deployment must set. */
export function requiredEnvVars(schema: z.ZodObject<z.ZodRawShape>): string[] {
  return Object.entries(schema.shape)
    .filter(([, field]) => !(field as z.ZodType).safeParse(undefined).success)
    .map(([name]) => name);
}
