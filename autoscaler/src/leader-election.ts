// Leader election on a coordination.k8s.io Lease, as client-go's leaderelection does it:
// take the Lease when it is free or expired, renew it while leading, and lose it when a
// renewal fails for longer than the lease duration. Writes carry the resourceVersion they
// read, so two candidates racing for an expired Lease get one 200 and one 409 Conflict.
import { EventEmitter } from 'node:events';
import type { V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { statusCode } from './kube.ts';
import type { Kube } from './kube.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
}

export interface LeaderElectorEvents {
  started: [];
  stopped: [];
}

export class LeaderElector extends EventEmitter<LeaderElectorEvents> {
  isLeader = false;
  private readonly kube: Kube;
  private readonly options: LeaderElectionOptions;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private lastRenewMs = 0;

  constructor(kube: Kube, options: LeaderElectionOptions, log: Logger) {
    super();
    this.kube = kube;
    this.options = options;
    this.log = log.child({ component: 'leader-election', lease: `${options.namespace}/${options.name}` });
  }

  start(): void {
    this.running = true;
    void this.tick();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.isLeader) {
      // Release: let another replica take over at once instead of after the lease expires.
      try {
        const lease = await this.kube.coordination.readNamespacedLease({ namespace: this.options.namespace, name: this.options.name });
        if (lease.spec?.holderIdentity === this.options.identity) {
          lease.spec.holderIdentity = undefined;
          lease.spec.leaseDurationSeconds = 1;
          await this.kube.coordination.replaceNamespacedLease({ namespace: this.options.namespace, name: this.options.name, body: lease });
        }
      } catch (err) {
        this.log.warn({ err }, 'could not release the lease');
      }
      this.setLeader(false);
    }
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    try {
      const ok = await this.tryAcquireOrRenew();
      if (ok) this.lastRenewMs = Date.now();
      if (ok !== this.isLeader) {
        if (ok || Date.now() - this.lastRenewMs > this.options.renewDeadlineSeconds * 1000) this.setLeader(ok);
      }
    } catch (err) {
      this.log.warn({ err: String(err) }, 'lease update failed');
      if (this.isLeader && Date.now() - this.lastRenewMs > this.options.renewDeadlineSeconds * 1000) this.setLeader(false);
    }
    if (this.running) this.timer = setTimeout(() => void this.tick(), this.options.retryPeriodSeconds * 1000);
  }

  private setLeader(value: boolean): void {
    if (value === this.isLeader) return;
    this.isLeader = value;
    this.log.info({ identity: this.options.identity }, value ? 'became leader' : 'stopped leading');
    this.emit(value ? 'started' : 'stopped');
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSeconds } = this.options;
    const now = new Date();
    let lease: V1Lease;
    try {
      lease = await this.kube.coordination.readNamespacedLease({ namespace, name });
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
      try {
        await this.kube.coordination.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
          },
        });
        return true;
      } catch (createErr) {
        if (statusCode(createErr) === 409) return false;
        throw createErr;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity;
    const renewMs = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const expired = !holder || renewMs + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < now.getTime();
    if (holder !== identity && !expired) return false;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: now,
      ...(holder !== identity ? { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
    };
    try {
      await this.kube.coordination.replaceNamespacedLease({ namespace, name, body: lease });
      return true;
    } catch (err) {
      if (statusCode(err) === 409) return false; // someone else wrote first
      throw err;
    }
  }
}
