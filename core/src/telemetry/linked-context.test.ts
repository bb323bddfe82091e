import { createContextKey, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { isTracingSuppressed, suppressTracing, W3CTraceContextPropagator } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { LINKED_ROOT, LinkedContext } from './linked-context.ts';

const A = createContextKey('a');
const B = createContextKey('b');

describe('LinkedContext', () => {
  it('reads what was set, the nearest setting winning, without changing the context it came from', () => {
    const one = LINKED_ROOT.setValue(A, 1);
    const two = one.setValue(B, 2).setValue(A, 3);
    expect(two.getValue(A)).toBe(3);
    expect(two.getValue(B)).toBe(2);
    expect(one.getValue(A)).toBe(1);
    expect(one.getValue(B)).toBeUndefined();
    expect(LINKED_ROOT.getValue(A)).toBeUndefined();
    expect(two).toBeInstanceOf(LinkedContext);
  });

  it('deletes a value for the derived context only, and can set it again', () => {
    const set = LINKED_ROOT.setValue(A, 1).setValue(B, 2);
    const deleted = set.deleteValue(A);
    expect(deleted.getValue(A)).toBeUndefined();
    expect(deleted.getValue(B)).toBe(2);
    expect(set.getValue(A)).toBe(1);
    expect(deleted.setValue(A, 4).getValue(A)).toBe(4);
    // Deleting what is not there needs no new step.
    expect(deleted.deleteValue(A)).toBe(deleted);
  });

  it('carries the OpenTelemetry API values as the built-in context does: span, suppression, extracted parent', () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const propagator = new W3CTraceContextPropagator();
    const getter = { get: (c: Record<string, string>, k: string) => c[k], keys: (c: Record<string, string>) => Object.keys(c) };
    const linked = propagator.extract(LINKED_ROOT, { traceparent }, getter);
    const builtIn = propagator.extract(ROOT_CONTEXT, { traceparent }, getter);
    expect(trace.getSpanContext(linked)).toEqual(trace.getSpanContext(builtIn));

    const span = trace.wrapSpanContext({ traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 1 });
    const active = trace.setSpan(linked, span);
    expect(trace.getSpan(active)).toBe(span);
    const suppressed = suppressTracing(trace.deleteSpan(active));
    expect(isTracingSuppressed(suppressed)).toBe(true);
    expect(trace.getSpan(suppressed)).toBeUndefined();
    expect(isTracingSuppressed(active)).toBe(false);

    // And it injects as any context would.
    const carrier: Record<string, string> = {};
    propagator.inject(active, carrier, { set: (c, k, v) => void (c[k] = v) });
    expect(carrier).toEqual({ traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` });
  });
});
