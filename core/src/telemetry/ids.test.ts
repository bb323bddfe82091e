import { isValidSpanId, isValidTraceId } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { PooledRandomIdGenerator } from './ids.ts';

describe('PooledRandomIdGenerator', () => {
  it('makes valid, distinct lowercase hex ids across many refills of its pool', () => {
    const ids = new PooledRandomIdGenerator();
    const traces = new Set<string>();
    const spans = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const t = ids.generateTraceId();
      const s = ids.generateSpanId();
      expect(t).toMatch(/^[0-9a-f]{32}$/);
      expect(s).toMatch(/^[0-9a-f]{16}$/);
      expect(isValidTraceId(t) && isValidSpanId(s)).toBe(true);
      traces.add(t);
      spans.add(s);
    }
    // 64-bit random span ids: a collision among 20 000 has a probability of ~1e-11.
    expect(traces.size).toBe(20_000);
    expect(spans.size).toBe(20_000);
  });

  it('uses every hex digit in every position (the bytes are spread, not just the low nibbles)', () => {
    const ids = new PooledRandomIdGenerator();
    const seen = Array.from({ length: 32 }, () => new Set<string>());
    for (let i = 0; i < 2_000; i++) [...ids.generateTraceId()].forEach((c, at) => seen[at]!.add(c));
    for (const digits of seen) expect(digits.size).toBe(16);
  });

  it('draws again instead of answering an all-zero id', () => {
    const ids = new PooledRandomIdGenerator();
    // The pool is private; fill what the next draws will read with zeros, as an unlucky CSPRNG would.
    const internals = ids as unknown as { pool: Buffer; offset: number };
    ids.generateSpanId(); // fills the pool
    internals.pool.fill(0, internals.offset, internals.offset + 24);
    expect(ids.generateSpanId()).not.toBe('0000000000000000');
    expect(ids.generateTraceId()).not.toBe('0'.repeat(32));
  });
});
