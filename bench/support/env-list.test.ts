import { describe, expect, it } from 'vitest';
import { parseEnvList } from './env-list.ts';

describe('parseEnvList', () => {
  it('keeps a value that holds its own "="', () => {
    expect(parseEnvList('OTEL_SDK_DISABLED=false,NODE_OPTIONS=--cpu-prof-dir=/tmp/p', 'BENCH_ON_ENV')).toEqual({
      OTEL_SDK_DISABLED: 'false',
      NODE_OPTIONS: '--cpu-prof-dir=/tmp/p',
    });
  });

  it('reads nothing from an unset or empty list', () => {
    expect(parseEnvList(undefined, 'BENCH_ON_ENV')).toEqual({});
    expect(parseEnvList('', 'BENCH_ON_ENV')).toEqual({});
  });

  it('names the setting and the item that is not KEY=VALUE', () => {
    expect(() => parseEnvList('A=1,OTEL_TRACES_EXPORTER', 'BENCH_ON_ENV')).toThrow('BENCH_ON_ENV: "OTEL_TRACES_EXPORTER" is not KEY=VALUE');
    expect(() => parseEnvList('=1', 'BENCH_OFF_ENV')).toThrow(/BENCH_OFF_ENV/);
  });
});
