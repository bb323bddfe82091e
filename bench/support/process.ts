import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../core/src/probes.ts';

export interface Service {
  child: ChildProcess;
  rssMb(): number;
  stop(): Promise<void>;
}

/**
 * Starts a workspace exactly as its `start` script does (same Node flags, same preload), on
 * this Node (24), and waits until `readyUrl` answers.
 */
export async function startWorkspace(workspaceDir: string, env: Record<string, string>, readyUrl: string): Promise<Service> {
  const pkg = JSON.parse(readFileSync(join(workspaceDir, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [command, ...args] = pkg.scripts.start.split(/\s+/);
  if (command !== 'node') throw new Error(`unexpected start script in ${workspaceDir}: ${pkg.scripts.start}`);
  return spawnAndWait(args, workspaceDir, env, readyUrl);
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
      await exited;
    },
  };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

export const fmt = (n: number, digits = 1): string => n.toFixed(digits);
