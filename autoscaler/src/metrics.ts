// Prometheus metrics (prom-client), one registry per controller so tests can run several.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface AutoscalerMetrics {
  registry: Registry;
  depth: Gauge<'namespace' | 'name'>;
  desired: Gauge<'namespace' | 'name'>;
  current: Gauge<'namespace' | 'name'>;
  busy: Gauge<'namespace' | 'name'>;
  reconcileDuration: Histogram<'namespace' | 'name' | 'trigger'>;
  errors: Counter<'namespace' | 'name' | 'kind'>;
  scalings: Counter<'namespace' | 'name' | 'direction'>;
  leader: Gauge;
}

export function createMetrics(withDefaults = false): AutoscalerMetrics {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry });
  const labelNames = ['namespace', 'name'] as const;
  return {
    registry,
    depth: new Gauge({ name: 'opad_autoscaler_queue_depth', help: 'Jobs waiting + prioritized + active (+ due delayed)', labelNames, registers: [registry] }),
    desired: new Gauge({ name: 'opad_autoscaler_desired_replicas', help: 'Replicas the controller asks for', labelNames, registers: [registry] }),
    current: new Gauge({ name: 'opad_autoscaler_current_replicas', help: 'Replicas of the target', labelNames, registers: [registry] }),
    busy: new Gauge({ name: 'opad_autoscaler_busy_replicas', help: 'Target pods holding an active job', labelNames, registers: [registry] }),
    reconcileDuration: new Histogram({
      name: 'opad_autoscaler_reconcile_duration_seconds',
      help: 'Time of one reconcile',
      labelNames: ['namespace', 'name', 'trigger'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'opad_autoscaler_errors_total',
      help: 'Reconcile errors by kind (redis, kubernetes, spec, target)',
      labelNames: ['namespace', 'name', 'kind'],
      registers: [registry],
    }),
    scalings: new Counter({
      name: 'opad_autoscaler_scalings_total',
      help: 'Scale operations by direction',
      labelNames: ['namespace', 'name', 'direction'],
      registers: [registry],
    }),
    leader: new Gauge({ name: 'opad_autoscaler_leader', help: '1 while this replica leads', registers: [registry] }),
  };
}
