import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { waitFor } from '../../core/src/probes.ts';
import { buildService, startArgs, type ServiceName } from '../../scripts/build-services.ts';

export interface Service {
  child: ChildProcess;
  rssMb(): number;
  stop(): Promise<void>;
}

/**
 * Builds a service (scripts/build-services.ts) and starts it exactly as its `start` script does
 * (same Node flags, same preload, the bundle in dist/), on this Node (24), and waits until
 * `readyUrl` answers.
 */
export async function startWorkspace(name: ServiceName, env: Record<string, string>, readyUrl: string): Promise<Service> {
  await buildService(name);
  return spawnAndWait(startArgs(name), join(resolve(import.meta.dirname, '../..'), name), env, readyUrl);
}

/** Starts a TypeScript entry on this Node (24) and waits until `readyUrl` answers. */
export async function startService(entry: string, env: Record<string, string>, readyUrl: string): Promise<Service> {
  return spawnAndWait([entry], process.cwd(), env, readyUrl);
}

async function spawnAndWait(args: string[], cwd: string, env: Record<string, string>, readyUrl: string): Promise<Service> {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  await waitFor(async () => (await fetch(readyUrl)).status < 500, 20_000, readyUrl, 100);
  return {
    child,
    rssMb: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      // a graceful close can outlast a benchmark's patience after heavy load
      const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(force);
    },
  };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

export const fmt = (n: number, digits = 1): string => n.toFixed(digits);
