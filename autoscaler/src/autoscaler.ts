// One autoscaler process: leader election gating the controller, plus health and metrics.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { QueueScalerController } from './controller.ts';
import { Kube } from './kube.ts';
import { LeaderElector } from './leader-election.ts';
import type { LeaderElectionOptions } from './leader-election.ts';
import { createMetrics } from './metrics.ts';
import type { AutoscalerMetrics } from './metrics.ts';

export interface AutoscalerOptions {
  kubeConfig: KubeConfig;
  log: Logger;
  identity: string;
  namespaces: string[];
  defaultRedisUrl: string;
  /** absent = no leader election (a single replica) */
  leaderElection?: Omit<LeaderElectionOptions, 'identity'>;
  eventDebounceMs?: number;
  metrics?: AutoscalerMetrics;
}

export class Autoscaler {
  readonly kube: Kube;
  readonly metrics: AutoscalerMetrics;
  readonly controller: QueueScalerController;
  readonly elector: LeaderElector | undefined;
  private readonly log: Logger;
  private chain: Promise<void> = Promise.resolve();

  constructor(options: AutoscalerOptions) {
    this.log = options.log;
    this.kube = new Kube(options.kubeConfig, options.identity);
    this.metrics = options.metrics ?? createMetrics();
    this.controller = new QueueScalerController({
      kube: this.kube,
      log: options.log,
      metrics: this.metrics,
      namespaces: options.namespaces,
      defaultRedisUrl: options.defaultRedisUrl,
      ...(options.eventDebounceMs !== undefined ? { eventDebounceMs: options.eventDebounceMs } : {}),
    });
    this.elector = options.leaderElection
      ? new LeaderElector(this.kube, { ...options.leaderElection, identity: options.identity }, options.log)
      : undefined;
  }

  get isLeader(): boolean {
    return this.elector ? this.elector.isLeader : true;
  }

  start(): void {
    if (!this.elector) {
      this.metrics.leader.set(1);
      this.serially(() => this.controller.start());
      return;
    }
    this.elector.on('started', () => {
      this.metrics.leader.set(1);
      this.serially(() => this.controller.start());
    });
    this.elector.on('stopped', () => {
      this.metrics.leader.set(0);
      this.serially(() => this.controller.stop());
    });
    this.elector.start();
  }

  async stop(): Promise<void> {
    await this.elector?.stop();
    this.serially(() => this.controller.stop());
    await this.chain;
  }

  /** Ready when the API server answers; a leader must also have listed its QueueScalers. */
  async ready(): Promise<boolean> {
    if (this.isLeader && !this.controller.synced) return false;
    await this.kube.listQueueScalers(undefined).catch(async () => {
      // cluster-wide list may be forbidden under namespaced RBAC: a lease read proves the API answers
      await this.kube.coordination.getAPIResources();
    });
    return true;
  }

  private serially(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((err: unknown) => this.log.error({ err: String(err) }, 'controller start/stop failed'));
  }
}
