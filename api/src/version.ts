import { readFileSync } from 'node:fs';

/** The api's package version, reported in /openapi.json and the telemetry resource. */
export const version: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
