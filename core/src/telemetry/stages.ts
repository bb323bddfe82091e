import { context, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { getTracer, recordError } from './tracing.ts';

/**
 * Pipeline stages as sequential child spans of the job's span, for code that reports stages by
 * calling a callback (`await ctx.stage('adapt')`) rather than by wrapping each stage in a function.
 *
 * `enter(stage)` ends the running stage span and starts the next one; it also makes the new span
 * the active context for the rest of the caller's async chain (the context manager's `attach`,
 * i.e. AsyncLocalStorage.enterWith), so LLM, HTTP, pg and S3 spans made during the stage nest
 * under it. Call it synchronously, before any `await` in the reporting callback.
 */
export interface StageSpans {
  enter(stage: string, attributes?: Attributes): void;
  /** Records the error on the running stage span (the one that failed) and ends it. */
  fail(error: unknown): void;
  end(): void;
  readonly current: string | undefined;
}

type Attach = (ctx: Context) => void;
const ATTACH = Symbol.for('opad.telemetry.attachContext');
const slot = globalThis as unknown as Record<symbol, Attach | undefined>;

/** Set by the SDK (sdk.ts) to its context manager's `attach`; without it stages just don't nest. */
export function setContextAttacher(attach: Attach | undefined): void {
  slot[ATTACH] = attach;
}

export function createStageSpans(parent: Context = context.active(), component = 'worker.pipeline'): StageSpans {
  const tracer = getTracer(component);
  let span: Span | undefined;
  let name: string | undefined;
  const close = () => {
    span?.end();
    span = undefined;
    name = undefined;
  };
  return {
    enter(stage, attributes = {}) {
      if (stage === name) return;
      close();
      span = tracer.startSpan(stage, { attributes: { 'opad.stage': stage, ...attributes } }, parent);
      name = stage;
      slot[ATTACH]?.(trace.setSpan(parent, span));
    },
    fail(error) {
      if (span) recordError(span, error);
      close();
    },
    end: close,
    get current() {
      return name;
    },
  };
}
