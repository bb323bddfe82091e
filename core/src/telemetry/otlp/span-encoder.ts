import type { Attributes, AttributeValue, Link, SpanContext } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { SlottedLeanSpan, type SlotValue } from '../lean-tracer.ts';
import { keyField, ProtoWriter, WIRE } from './proto-writer.ts';

/**
 * OTLP protobuf encoding of finished spans (opentelemetry/proto/trace/v1), one span at a time,
 * so that a span can be encoded the moment it ends and dropped (see encoding-span-processor.ts).
 * The bytes are those of the SDK's own `ProtobufTraceSerializer` for the same spans (the test
 * compares them byte for byte), so any OTLP receiver reads them the same way.
 */

type InstrumentationScope = ReadableSpan['instrumentationScope'];

const { VARINT, FIXED64, LEN, FIXED32 } = WIRE;
const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;
const TWO_32 = 2 ** 32;
/** SpanFlags: bit 8 says bit 9 is known; bit 9 says the parent (or linked) context is remote. */
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

function spanFlags(context: SpanContext | undefined, traceFlags: number): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (context?.isRemote ? IS_REMOTE : 0);
}

/** AnyValue (common/v1): string 1, bool 2, int 3, double 4, array 5, kvlist 6, bytes 7. */
function writeAnyValue(w: ProtoWriter, value: unknown): void {
  switch (typeof value) {
    case 'string':
      w.tag(1, LEN);
      w.string(value);
      return;
    case 'boolean':
      w.tag(2, VARINT);
      w.varint(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
        w.tag(3, VARINT);
        w.varint(value);
      } else {
        w.tag(4, FIXED64);
        w.double(value);
      }
      return;
  }
  if (value instanceof Uint8Array) {
    w.tag(7, LEN);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.tag(5, LEN);
    const array = w.begin();
    for (const item of value as unknown[]) {
      w.tag(1, LEN);
      const itemStart = w.begin();
      writeAnyValue(w, item);
      w.end(itemStart);
    }
    w.end(array);
  } else if (typeof value === 'object' && value !== null) {
    w.tag(6, LEN);
    const list = w.begin();
    writeKeyValues(w, value as Record<string, unknown>, 1);
    w.end(list);
  }
  // null / undefined: an empty AnyValue
}

/** repeated KeyValue { key = 1; value = 2 } as field `field`. */
function writeKeyValues(w: ProtoWriter, attributes: Attributes | Record<string, unknown>, field: number): void {
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    w.tag(field, LEN);
    const kv = w.begin();
    w.tag(1, LEN);
    w.string(key);
    w.tag(2, LEN);
    const value = w.begin();
    writeAnyValue(w, (attributes as Record<string, AttributeValue | undefined>)[key]);
    w.end(value);
    w.end(kv);
  }
}

/** Each slot array's keys, encoded (one kind of slotted span in OPAD: the server span). */
const slotKeyFields = new WeakMap<readonly string[], Uint8Array[]>();

/** A slotted span's slots as `field` KeyValues: written from pre-encoded keys, no dictionary walked. */
function writeSlots(w: ProtoWriter, keys: readonly string[], values: readonly SlotValue[], field: number): void {
  let fields = slotKeyFields.get(keys);
  if (!fields) {
    fields = keys.map(keyField);
    slotKeyFields.set(keys, fields);
  }
  const tagByte = (field << 3) | LEN;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value === 'string') w.stringKeyValue(tagByte, fields[i]!, value);
    else if (value !== undefined && Number.isInteger(value) && value >= 0 && value < TWO_32) w.intKeyValue(tagByte, fields[i]!, value);
    else if (value !== undefined) writeKeyValues(w, { [keys[i]!]: value }, field);
  }
}

function writeEvent(w: ProtoWriter, event: TimedEvent): void {
  w.tag(11, LEN);
  const start = w.begin();
  w.tag(1, FIXED64);
  w.hrTime(event.time);
  w.tag(2, LEN);
  w.string(event.name);
  if (event.attributes) writeKeyValues(w, event.attributes, 3);
  w.tag(4, VARINT);
  w.varint(event.droppedAttributesCount ?? 0);
  w.end(start);
}

/** trace_id = 1, span_id = 2, trace_state = 3: the same three fields open a Span and a Link. */
function writeSpanContextFields(w: ProtoWriter, ctx: SpanContext): void {
  w.tag(1, LEN);
  w.hexBytes(ctx.traceId);
  w.tag(2, LEN);
  w.hexBytes(ctx.spanId);
  const traceState = ctx.traceState?.serialize();
  if (traceState) {
    w.tag(3, LEN);
    w.string(traceState);
  }
}

function writeLink(w: ProtoWriter, link: Link): void {
  w.tag(13, LEN);
  const start = w.begin();
  const ctx = link.context;
  writeSpanContextFields(w, ctx);
  if (link.attributes) writeKeyValues(w, link.attributes, 4);
  w.tag(5, VARINT);
  w.varint(link.droppedAttributesCount ?? 0);
  w.tag(6, FIXED32);
  w.fixed32(spanFlags(ctx, ctx.traceFlags));
  w.end(start);
}

/** One `spans = 2` field of a ScopeSpans message: what the processor appends per ended span. */
export function writeSpanField(w: ProtoWriter, span: ReadableSpan): void {
  w.tag(2, LEN);
  const start = w.begin();
  writeSpan(w, span);
  w.end(start);
}

/** One `Span` message (trace/v1), without its enclosing tag. */
function writeSpan(w: ProtoWriter, span: ReadableSpan): void {
  const ctx = span.spanContext();
  writeSpanContextFields(w, ctx);
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    w.tag(4, LEN);
    w.hexBytes(parent.spanId);
  }
  w.tag(5, LEN);
  w.string(span.name);
  w.tag(6, VARINT);
  w.varint(span.kind + 1); // OTLP's kinds start at 1 (0 is UNSPECIFIED)
  w.tag(7, FIXED64);
  w.hrTime(span.startTime);
  w.tag(8, FIXED64);
  w.hrTime(span.endTime);
  if (span instanceof SlottedLeanSpan) {
    writeSlots(w, span.slotKeys, span.slotValues, 9);
    writeKeyValues(w, span.otherAttributes, 9);
  } else writeKeyValues(w, span.attributes, 9);
  w.tag(10, VARINT);
  w.varint(span.droppedAttributesCount);
  for (const event of span.events) writeEvent(w, event);
  w.tag(12, VARINT);
  w.varint(span.droppedEventsCount);
  for (const link of span.links) writeLink(w, link);
  w.tag(14, VARINT);
  w.varint(span.droppedLinksCount);
  w.tag(15, LEN);
  const status = w.begin();
  if (span.status.message) {
    w.tag(2, LEN);
    w.string(span.status.message);
  }
  w.tag(3, VARINT);
  w.varint(span.status.code);
  w.end(status);
  w.tag(16, FIXED32);
  w.fixed32(spanFlags(parent, ctx.traceFlags));
}

/** The spans of one instrumentation scope, already encoded as `spans = 2` fields of a ScopeSpans message. */
export interface EncodedScopeSpans {
  readonly scope: InstrumentationScope;
  readonly spans: Uint8Array;
}

// A resource and a scope are the same objects for every span of a tracer: encoded once.
const resourceFields = new WeakMap<Resource, Buffer>();
const scopeFields = new WeakMap<InstrumentationScope, Buffer>();

/**
 * One `resource_spans = 1` field of an ExportTraceServiceRequest: the resource, then a ScopeSpans
 * message per scope.
 */
export function writeResourceSpans(w: ProtoWriter, resource: Resource, scopes: Iterable<EncodedScopeSpans>): void {
  w.tag(1, LEN);
  const resourceSpans = w.begin();
  w.raw(resourceField(resource));
  for (const { scope, spans } of scopes) {
    w.tag(2, LEN);
    const scopeSpans = w.begin();
    w.raw(scopeField(scope));
    w.raw(spans);
    if (scope.schemaUrl) {
      w.tag(3, LEN);
      w.string(scope.schemaUrl);
    }
    w.end(scopeSpans);
  }
  if (resource.schemaUrl) {
    w.tag(3, LEN);
    w.string(resource.schemaUrl);
  }
  w.end(resourceSpans);
}

/**
 * Field 1 (`resource` of a ResourceSpans, `scope` of a ScopeSpans) as encoded bytes, written once
 * per object and cached while `cacheable` says the object will not change.
 */
function cachedMessageField<K extends object>(cache: WeakMap<K, Buffer>, key: K, initialSize: number, writeBody: (w: ProtoWriter) => void, cacheable = true): Buffer {
  const cached = cache.get(key);
  if (cached) return cached;
  const w = new ProtoWriter(initialSize);
  w.tag(1, LEN);
  const start = w.begin();
  writeBody(w);
  w.end(start);
  const field = w.copy();
  if (cacheable) cache.set(key, field);
  return field;
}

/** `resource = 1` of a ResourceSpans message: its attributes and dropped count. */
function resourceField(resource: Resource): Buffer {
  // Detectors that resolve later would change the attributes: cache only settled ones. (OPAD's
  // resource is synchronous — service name, version, pod and namespace from the environment.)
  return cachedMessageField(resourceFields, resource, 1024, (w) => {
    writeKeyValues(w, resource.attributes, 1);
    w.tag(2, VARINT);
    w.varint(0);
  }, !resource.asyncAttributesPending);
}

/** `scope = 1` of a ScopeSpans message: its name, version and attributes. */
function scopeField(scope: InstrumentationScope): Buffer {
  return cachedMessageField(scopeFields, scope, 256, (w) => {
    w.tag(1, LEN);
    w.string(scope.name);
    if (scope.version) {
      w.tag(2, LEN);
      w.string(scope.version);
    }
    const { attributes } = scope as { attributes?: Attributes };
    if (attributes) writeKeyValues(w, attributes, 3);
  });
}
