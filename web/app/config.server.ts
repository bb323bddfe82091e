import { z } from 'zod';
import { loadConfigOrExit, logLevel, port, positiveInt, type Env } from '@opad/core/config';
import { createLogger, type Logger } from '@opad/core/logger';

/** The web's whole configuration: where the api is, and how long to wait for it. */
export const configSchema = z.object({
  API_BASE_URL: z
    .url({ message: 'must be an absolute URL, e.g. http://127.0.0.1:8080' })
    .refine((u) => /^https?:\/\//i.test(u), { message: 'must start with http:// or https://' })
    .transform((u) => u.replace(/\/+$/, '')),
  PORT: port(3000),
  LOG_LEVEL: logLevel,
  API_TIMEOUT_MS: positiveInt(5_000),
});
export type WebConfig = z.infer<typeof configSchema>;

let config: WebConfig | undefined;
let logger: Logger | undefined;

/** Checked once, at start (entry.server imports it): a bad value names the variable and exits. */
export function getConfig(env: Env = process.env): WebConfig {
  config ??= loadConfigOrExit(configSchema, 'web', env);
  return config;
}

export function getLogger(): Logger {
  logger ??= createLogger('web', getConfig().LOG_LEVEL);
  return logger;
}

/** For tests: forget the cached config so the next call reads the environment again. */
export function resetConfigForTests(): void {
  config = undefined;
  logger = undefined;
}
