import { describe, expect, it } from 'vitest';
import { bootstrapMedianInterval } from './stats.ts';

describe('bootstrapMedianInterval', () => {
  it('holds the median and widens with the spread of the rounds', () => {
    const tight = bootstrapMedianInterval([11.9, 12.1, 12.0, 12.2, 11.8, 12.0]);
    const loose = bootstrapMedianInterval([21.2, 3.4, 12.0, 0.7, 19.3, 10.8]);
    expect(tight[0]).toBeLessThanOrEqual(12.0);
    expect(tight[1]).toBeGreaterThanOrEqual(12.0);
    expect(tight[1] - tight[0]).toBeLessThan(0.5);
    expect(loose[1] - loose[0]).toBeGreaterThan(5);
    expect(loose[0]).toBeGreaterThanOrEqual(0.7);
    expect(loose[1]).toBeLessThanOrEqual(21.2);
  });

  it('gives the same interval for the same rounds (seeded)', () => {
    const rounds = [4.6, 0.9, 5.7, -4.4, -10.1, -8.7];
    expect(bootstrapMedianInterval(rounds)).toEqual(bootstrapMedianInterval(rounds));
  });

  it('refuses an empty run', () => {
    expect(() => bootstrapMedianInterval([])).toThrow(/no values/);
  });
});
