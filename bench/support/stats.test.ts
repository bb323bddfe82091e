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
    // The median's interval, not the rounds' range: it holds the median (11.4) and leaves out the extreme rounds.
    expect(loose[0]).toBeLessThanOrEqual(11.4);
    expect(loose[1]).toBeGreaterThanOrEqual(11.4);
    expect(loose[0]).toBeGreaterThan(0.7);
    expect(loose[1]).toBeLessThan(21.2);
  });

  it('narrows as rounds are added with the same spread', () => {
    const six = [21.2, 3.4, 12.0, 0.7, 19.3, 10.8];
    const [lo6, hi6] = bootstrapMedianInterval(six);
    const [lo18, hi18] = bootstrapMedianInterval([...six, ...six, ...six]);
    expect(hi18 - lo18).toBeLessThan(hi6 - lo6);
  });

  it('gives the same interval for the same rounds (seeded)', () => {
    const rounds = [4.6, 0.9, 5.7, -4.4, -10.1, -8.7];
    expect(bootstrapMedianInterval(rounds)).toEqual(bootstrapMedianInterval(rounds));
  });

  it('refuses an empty run', () => {
    expect(() => bootstrapMedianInterval([])).toThrow(/no values/);
  });
});
