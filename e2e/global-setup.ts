import { existsSync } from 'node:fs';
import coreSetup from '../core/src/testing/global-setup.ts';
import { CHROMIUM } from './support/browser.ts';
import { buildWeb } from './support/stack.ts';
import { buildService } from '../scripts/build-services.ts';

/** Postgres and Redis as for every test run, Chromium present, and the web, api and worker built once. */
export default async function setup(): Promise<() => Promise<void>> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: run scripts/ensure-chromium.sh (apt-get install chromium)`);
  }
  buildWeb();
  await buildService('api');
  await buildService('worker');
  return coreSetup();
}
