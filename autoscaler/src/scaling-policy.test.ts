import { describe, expect, it } from 'vitest';
import { parseSpec } from './queue-scaler.ts';
import type { QueueScalerSpec } from './queue-scaler.ts';
import { decideReplicas, newHistory, recordChange } from './scaling-policy.ts';

function spec(extra: Record<string, unknown> = {}): QueueScalerSpec {
  const parsed = parseSpec({ targetRef: { name: 'worker' }, queue: {}, maxReplicas: 20, cooldownSeconds: 10, ...extra });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.spec;
}

describe('decideReplicas', () => {
  it('asks for ceil(depth / jobsPerReplica) within min and max', () => {
    const s = spec({ jobsPerReplica: 4, minReplicas: 1, maxReplicas: 5 });
    expect(decideReplicas({ spec: s, depth: 9, active: 0, currentReplicas: 1, busyReplicas: 0, nowMs: 0 }, newHistory()).desired).toBe(3);
    expect(decideReplicas({ spec: s, depth: 100, active: 0, currentReplicas: 1, busyReplicas: 0, nowMs: 0 }, newHistory()).desired).toBe(5);
  });

  it('applies the scale-up step policy (Pods 4 per 15 s, Percent 100: the larger)', () => {
    const s = spec({ behavior: { scaleUp: { policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] } } });
    const history = newHistory();
    const first = decideReplicas({ spec: s, depth: 20, active: 0, currentReplicas: 2, busyReplicas: 0, nowMs: 0 }, history);
    expect(first.desired).toBe(6);
    recordChange(history, 4, 0);
    expect(decideReplicas({ spec: s, depth: 20, active: 0, currentReplicas: 6, busyReplicas: 0, nowMs: 5000 }, history).desired).toBe(6);
    expect(decideReplicas({ spec: s, depth: 20, active: 0, currentReplicas: 6, busyReplicas: 0, nowMs: 15_001 }, history).desired).toBe(12);
  });

  it('holds the highest recommendation of the scale-down window', () => {
    const s = spec({ behavior: { scaleDown: { stabilizationWindowSeconds: 10 } } });
    const history = newHistory();
    decideReplicas({ spec: s, depth: 8, active: 0, currentReplicas: 8, busyReplicas: 0, nowMs: 0 }, history);
    expect(decideReplicas({ spec: s, depth: 2, active: 0, currentReplicas: 8, busyReplicas: 0, nowMs: 5000 }, history).desired).toBe(8);
    expect(decideReplicas({ spec: s, depth: 2, active: 0, currentReplicas: 8, busyReplicas: 0, nowMs: 10_500 }, history).desired).toBe(2);
  });

  it('never goes below the busy workers, and to zero only after the cooldown', () => {
    const s = spec({ behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } });
    const history = newHistory();
    expect(decideReplicas({ spec: s, depth: 1, active: 1, currentReplicas: 3, busyReplicas: 3, nowMs: 0 }, history).desired).toBe(3);
    expect(decideReplicas({ spec: s, depth: 0, active: 0, currentReplicas: 1, busyReplicas: 0, nowMs: 9000 }, history).desired).toBe(1);
    expect(decideReplicas({ spec: s, depth: 0, active: 0, currentReplicas: 1, busyReplicas: 0, nowMs: 10_001 }, history).desired).toBe(0);
  });

  it('rejects min > max with a message naming the field', () => {
    const parsed = parseSpec({ targetRef: { name: 'w' }, queue: {}, minReplicas: 3, maxReplicas: 1 });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(/maxReplicas: minReplicas must not exceed maxReplicas/);
  });
});
