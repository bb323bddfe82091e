import { ROOT_CONTEXT, type Context } from '@opentelemetry/api';

/**
 * An OpenTelemetry Context that adds an entry by pointing at its parent instead of copying it.
 *
 * Why: the API's own context (`BaseContext`) copies its whole Map on every `setValue`, and every
 * traced request derives a few (the extracted parent, the server span, the publish span's
 * suppression): ~100 ns each in a loop, ~0.9 µs a request inside the loaded api (a CPU profile
 * of the ingest benchmark put `trace.setSpan` in the server-span path at 47 ms of its 1.1 s of
 * tracing code). A chain costs one small object a step; lookups walk it, and the chains a request
 * builds are a handful of steps deep (one per nested `setValue`, not one per call).
 *
 * Contexts built on `LINKED_ROOT` stay linked: `setValue`/`deleteValue` return LinkedContexts,
 * whoever calls them (the propagators, the instrumentations, `trace.setSpan`).
 */
const DELETED = Symbol('opad.context.deleted');

export class LinkedContext implements Context {
  private readonly parent: Context;
  private readonly key: symbol;
  private readonly value: unknown;

  constructor(parent: Context, key: symbol, value: unknown) {
    this.parent = parent;
    this.key = key;
    this.value = value;
  }

  getValue(key: symbol): unknown {
    let node: Context = this;
    while (node instanceof LinkedContext) {
      if (node.key === key) return node.value === DELETED ? undefined : node.value;
      node = node.parent;
    }
    return node.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return new LinkedContext(this, key, value);
  }

  deleteValue(key: symbol): Context {
    return this.getValue(key) === undefined ? this : new LinkedContext(this, key, DELETED);
  }
}

/** The empty context, linked: what an inbound request's context is built on. */
export const LINKED_ROOT: Context = new (class LinkedRoot implements Context {
  getValue(key: symbol): unknown {
    return ROOT_CONTEXT.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return new LinkedContext(this, key, value);
  }

  deleteValue(): Context {
    return this;
  }
})();
