import {
  context as contextApi,
  diag,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type TimeInput,
  type Tracer,
} from '@opentelemetry/api';
import {
  AddAttributeDecision,
  addHrTimes,
  cleanAttributes,
  cleanSimpleAttributes,
  hrTime,
  hrTimeDuration,
  isTimeInput,
  isAnyValue,
  isTimeInputHrTime,
  isTracingSuppressed,
  maybeAddAttribute,
  millisToHrTime,
  type InstrumentationScope,
} from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { SamplingDecision, type IdGenerator, type Sampler, type Span as SdkSpan, type SpanProcessor, type TimedEvent } from '@opentelemetry/sdk-trace';

/**
 * A tracer for the one span every inbound request gets (http-server-spans.ts): the same
 * sampler, id generator, span processors, resource and default limits as the SDK's TracerProvider
 * (sdk.ts hands it the provider's own), and spans that any span processor or exporter takes as
 * the SDK's own (`ReadableSpan`), with the SDK's rules for attributes, events, links, status,
 * names, times and ends. What it leaves out is work a server span does not need: the second
 * check of start attributes after sampling (the SDK's `startSpan` checks them twice), the
 * tracer's own span metrics (OPAD registers no meter provider, so they were no-ops), and, for a
 * string, number or boolean, the SDK's check of the value through `isAnyValue`, which builds a
 * `WeakSet` per value (other values still get the SDK's own check and copy).
 *
 * Why: the server span is the one span of every request. Starting it, setting its attributes
 * and ending it this way cut the work tracing adds to an ingest request by 10 % in-process
 * (`bench/tracing-request.ts`: 5.1 against 5.7 µs, with the pooled ids of ids.ts) and gave the
 * traced api +2.1 % req/s in an A/B of the two (docs/BENCHMARKS.md).
 */

/** The SDK's defaults (`TracerProvider`), which OPAD does not change. */
const LIMITS = {
  attributeCountLimit: 128,
  attributeValueLengthLimit: Infinity,
  eventCountLimit: 128,
  linkCountLimit: 128,
  attributePerEventCountLimit: 128,
  attributePerLinkCountLimit: 128,
} as const;

/** The limits for a link's and for an event's own attributes. */
const LINK_ATTRIBUTE_LIMITS = { attributeCountLimit: LIMITS.attributePerLinkCountLimit, attributeValueLengthLimit: LIMITS.attributeValueLengthLimit };
const EVENT_ATTRIBUTE_LIMITS = { attributeCountLimit: LIMITS.attributePerEventCountLimit, attributeValueLengthLimit: LIMITS.attributeValueLengthLimit };

/** A link as the span keeps it: its attributes checked and counted as the SDK does. */
function cleanLink(link: Link): Link {
  return { context: link.context, ...cleanAttributes(link.attributes, LINK_ATTRIBUTE_LIMITS) };
}

/**
 * Shared, frozen starting values: most spans never get a link or an event, and their times and
 * status are replaced when they end, so each span need not allocate its own (a LeanSpan copies
 * an array before its first change).
 */
const NO_LINKS: Link[] = Object.freeze([]) as unknown as Link[];
const NO_EVENTS: TimedEvent[] = Object.freeze([]) as unknown as TimedEvent[];
const NOT_ENDED: HrTime = Object.freeze([0, 0]) as unknown as HrTime;
const NO_DURATION: HrTime = Object.freeze([-1, -1]) as unknown as HrTime;
const UNSET_STATUS: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
/** Constant for the process; read once (the getter costs a call and a number a span). */
const TIME_ORIGIN = performance.timeOrigin;

/** What the sampler gets for a span started without attributes (the server span's are set after). */
const NO_ATTRIBUTES: Attributes = Object.freeze({});

export interface LeanTracerOptions {
  readonly sampler: Sampler;
  readonly idGenerator: IdGenerator;
  readonly spanProcessors: readonly SpanProcessor[];
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
}

export class LeanTracer implements Pick<Tracer, 'startSpan'> {
  private readonly options: LeanTracerOptions;

  constructor(options: LeanTracerOptions) {
    this.options = options;
  }

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = contextApi.active()): Span {
    return this.startSpanWith(leanSpan, name, options, ctx);
  }

  /**
   * `startSpan`, with the recording span made by `make` (a LeanSpan subclass, such as
   * http-server-spans.ts's HttpServerSpan); a span that is not recorded is the API's
   * non-recording span, as ever.
   */
  startSpanWith<S extends LeanSpan>(make: (init: LeanSpanInit) => S, name: string, options: SpanOptions = {}, ctx: Context = contextApi.active()): S | Span {
    if (options.root) ctx = trace.deleteSpan(ctx);
    if (isTracingSuppressed(ctx)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const { sampler, idGenerator } = this.options;
    const parent = trace.getSpanContext(ctx);
    const validParent = parent !== undefined && isSpanContextValid(parent) ? parent : undefined;
    const traceId = validParent ? validParent.traceId : idGenerator.generateTraceId();
    const spanId = idGenerator.generateSpanId();
    const kind = options.kind ?? SpanKind.INTERNAL;
    const links = options.links === undefined || options.links.length === 0 ? NO_LINKS : options.links.map(cleanLink);
    const startAttributes = options.attributes === undefined ? NO_ATTRIBUTES : (cleanAttributes(options.attributes, LIMITS).attributes ?? NO_ATTRIBUTES);
    const result = sampler.shouldSample(ctx, traceId, name, kind, startAttributes, links);
    const spanContext: SpanContext = {
      traceId,
      spanId,
      traceFlags: result.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
      traceState: result.traceState ?? validParent?.traceState,
    };
    if (result.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    const span = make({ options: this.options, name, kind, ids: spanContext, parent: validParent, links, startTime: options.startTime });
    span.setAttributes(startAttributes);
    if (result.attributes) span.setAttributes(result.attributes);
    for (const processor of this.options.spanProcessors) processor.onStart(span, ctx);
    return span;
  }
}

/** What a LeanSpan is made from: the tracer's options and what `startSpan` settled. */
export interface LeanSpanInit {
  readonly options: LeanTracerOptions;
  readonly name: string;
  readonly kind: SpanKind;
  readonly ids: SpanContext;
  readonly parent: SpanContext | undefined;
  readonly links: Link[];
  readonly startTime: TimeInput | undefined;
}

const leanSpan = (init: LeanSpanInit): LeanSpan => new LeanSpan(init);

/** A recording span with the SDK's semantics (sdk-trace's SpanImpl), readable by any span processor. */
export class LeanSpan implements SdkSpan {
  name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly startTime: HrTime;
  endTime: HrTime = NOT_ENDED;
  duration: HrTime = NO_DURATION;
  status: SpanStatus = UNSET_STATUS;
  /** The attributes set so far (subclasses may keep some elsewhere: see `attributes`). */
  protected readonly attributeMap: Attributes = {};
  links: Link[];
  events: TimedEvent[] = NO_EVENTS;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  ended = false;
  protected attributeCount = 0;
  /** The clock as the SDK's spans read it, so that parent and child spans agree: see `time`. */
  private readonly performanceStart: number;
  private readonly performanceOffset: number;
  private readonly startTimeProvided: boolean;
  private readonly ids: SpanContext;
  private readonly processors: readonly SpanProcessor[];

  constructor({ options, name, kind, ids, parent, links, startTime }: LeanSpanInit) {
    this.name = name;
    this.kind = kind;
    this.ids = ids;
    this.parentSpanContext = parent;
    this.resource = options.resource;
    this.instrumentationScope = options.scope;
    this.processors = options.spanProcessors;
    const now = Date.now();
    this.performanceStart = performance.now();
    this.performanceOffset = now - (this.performanceStart + TIME_ORIGIN);
    this.startTimeProvided = startTime !== undefined;
    this.startTime = this.time(startTime ?? now);
    if (links.length > LIMITS.linkCountLimit) {
      this.droppedLinksCount = links.length - LIMITS.linkCountLimit;
      this.links = links.slice(this.droppedLinksCount);
    } else this.links = links;
  }

  get attributes(): Attributes {
    return this.attributeMap;
  }

  spanContext(): SpanContext {
    return this.ids;
  }

  isRecording(): boolean {
    return !this.ended;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (this.endedWarning()) return this;
    // Strings, numbers and booleans (nearly every attribute) are valid as they are; the rest get
    // the SDK's own checks, copy and count.
    const type = typeof value;
    if ((type === 'string' || type === 'number' || type === 'boolean') && key.length > 0) {
      if (Object.hasOwn(this.attributeMap, key)) this.attributeMap[key] = value;
      else if (this.attributeCount < LIMITS.attributeCountLimit) {
        this.attributeMap[key] = value;
        this.attributeCount++;
      } else this.dropAttribute();
      return this;
    }
    const decision = maybeAddAttribute({ key, value, attributes: this.attributeMap, limits: LIMITS, currentAttributesCount: this.attributeCount });
    if (decision === AddAttributeDecision.ADD_NEW) this.attributeCount++;
    else if (decision === AddAttributeDecision.DROP_LIMIT_REACHED) this.dropAttribute();
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) if (Object.hasOwn(attributes, key)) this.setAttribute(key, attributes[key] as AttributeValue);
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, startTime?: TimeInput): this {
    if (this.endedWarning()) return this;
    if (this.events === NO_EVENTS) this.events = [];
    if (this.events.length >= LIMITS.eventCountLimit) {
      if (this.droppedEventsCount === 0) diag.debug('Dropping extra events.');
      this.events.shift();
      this.droppedEventsCount++;
    }
    let attributes: Attributes | undefined;
    if (isTimeInput(attributesOrStartTime)) {
      if (!isTimeInput(startTime)) startTime = attributesOrStartTime;
    } else attributes = attributesOrStartTime;
    const cleaned = cleanSimpleAttributes(attributes, EVENT_ATTRIBUTE_LIMITS);
    this.events.push({ name, time: this.time(startTime), ...cleaned });
    return this;
  }

  addLink(link: Link): this {
    if (this.endedWarning()) return this;
    if (this.links === NO_LINKS) this.links = [];
    if (this.links.length >= LIMITS.linkCountLimit) {
      this.links.shift();
      this.droppedLinksCount++;
    }
    this.links.push(cleanLink(link));
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.endedWarning()) return this;
    // The SDK's rules: UNSET never overrides, OK is final, only ERROR keeps a message.
    if (status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    this.status = status.code === SpanStatusCode.ERROR && typeof status.message === 'string' ? { code: status.code, message: status.message } : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.endedWarning()) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) {
      diag.error(`${this.name} ${this.ids.traceId}-${this.ids.spanId} - You can only call end() on a span once.`);
      return;
    }
    this.endTime = this.time(endTime);
    this.duration = hrTimeDuration(this.startTime, this.endTime);
    if (this.duration[0] < 0) {
      diag.warn('Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.', this.startTime, this.endTime);
      this.endTime = [...this.startTime];
      this.duration = [0, 0];
    }
    for (const processor of this.processors) processor.onEnding?.(this);
    this.ended = true;
    for (const processor of this.processors) processor.onEnd(this);
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else if (exception) {
      if (exception.code) attributes['exception.type'] = exception.code.toString();
      else if (exception.name) attributes['exception.type'] = exception.name;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message']) this.addEvent('exception', attributes, time);
    else diag.warn(`Failed to record an exception ${String(exception)}`);
  }

  /**
   * A TimeInput as the SDK's SpanImpl reads it: the start is wall-clock time (`Date.now()`), later
   * times are the start plus the monotonic clock's progress; a number no later than
   * `performance.now()` is a performance timestamp, a larger one epoch milliseconds.
   */
  private time(input: TimeInput | undefined): HrTime {
    if (typeof input === 'number' && input <= performance.now()) return hrTime(input + this.performanceOffset);
    if (typeof input === 'number') return millisToHrTime(input);
    if (input instanceof Date) return millisToHrTime(input.getTime());
    if (isTimeInputHrTime(input)) return input;
    if (this.startTimeProvided) return millisToHrTime(Date.now());
    return addHrTimes(this.startTime, millisToHrTime(performance.now() - this.performanceStart));
  }

  protected dropAttribute(): void {
    if (this.droppedAttributesCount++ === 0) diag.warn('Dropping extra attributes.');
  }

  protected endedWarning(): boolean {
    if (this.ended) diag.warn(`Cannot execute the operation on ended Span {traceId: ${this.ids.traceId}, spanId: ${this.ids.spanId}}`);
    return this.ended;
  }
}

/** A slot's value: the attribute types well-known attributes have. */
export type SlotValue = string | number | undefined;

/**
 * A LeanSpan that keeps a fixed set of well-known attributes (`keys`) in slots, a plain array,
 * instead of in the attribute dictionary; any other attribute (or one the app sets itself) goes
 * to the dictionary as before, and `attributes` shows both as one, as the SDK's span would.
 *
 * Why: every request's server span sets the same ~8 attributes. Stored by key, each was a keyed
 * store that adds a property to a fresh object and, when encoded, a keyed load — megamorphic
 * sites in V8, since every span kind's attributes go through them — and in the loaded api those
 * attributes cost ~6 % of its ingest throughput (an A/B of the traced api with and without them;
 * docs/BENCHMARKS.md). In slots they are array stores and loads, and the OTLP encoder writes them
 * from pre-encoded keys (span-encoder.ts).
 */
export class SlottedLeanSpan extends LeanSpan {
  /** The slots' attribute keys, the same array for every span of a kind (the encoder caches by it). */
  readonly slotKeys: readonly string[];
  /** Slot i holds the value of `slotKeys[i]`, or undefined when not set. */
  readonly slotValues: SlotValue[];
  private attributesWhenEnded: Attributes | undefined;

  constructor(init: LeanSpanInit, slotKeys: readonly string[]) {
    super(init);
    this.slotKeys = slotKeys;
    this.slotValues = new Array<SlotValue>(slotKeys.length).fill(undefined);
  }

  /** The attributes in the dictionary: those not in a slot. */
  get otherAttributes(): Attributes {
    return this.attributeMap;
  }

  /** Slots first, then the dictionary (a new object; kept once the span has ended). */
  override get attributes(): Attributes {
    if (this.attributesWhenEnded) return this.attributesWhenEnded;
    const out: Attributes = {};
    for (let i = 0; i < this.slotKeys.length; i++) {
      const value = this.slotValues[i];
      if (value !== undefined) out[this.slotKeys[i]!] = value;
    }
    Object.assign(out, this.attributeMap);
    if (this.ended) this.attributesWhenEnded = out;
    return out;
  }

  /** Sets slot `i` (what the span's own instrumentation records), with the SDK's rules for a set. */
  protected setSlot(i: number, value: SlotValue): void {
    if (value === undefined || this.endedWarning()) return;
    if (this.slotValues[i] === undefined) {
      const key = this.slotKeys[i]!;
      if (Object.hasOwn(this.attributeMap, key)) {
        delete this.attributeMap[key]; // the last value set wins; it stays counted once
      } else if (this.attributeCount < LIMITS.attributeCountLimit) this.attributeCount++;
      else return this.dropAttribute();
    }
    this.slotValues[i] = value;
  }

  /** An attribute set through the Span API: a slot's key moves to the dictionary, which then holds it. */
  override setAttribute(key: string, value: AttributeValue): this {
    if (!this.ended && value !== undefined && isAnyValue(value)) {
      const i = this.slotKeys.indexOf(key);
      if (i !== -1 && this.slotValues[i] !== undefined) {
        this.slotValues[i] = undefined;
        this.attributeCount--; // counted again as the dictionary's
      }
    }
    return super.setAttribute(key, value);
  }
}
