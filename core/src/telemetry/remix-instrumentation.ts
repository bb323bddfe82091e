import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile, isWrapped } from '@opentelemetry/instrumentation';
import { recordError } from './tracing.ts';

/**
 * Remix v2 loaders and actions as spans (`loader routes/articles.$id`, `action routes/_index`).
 * It patches `callRouteLoader` / `callRouteAction` in `@remix-run/server-runtime/dist/data.js`,
 * the one place every loader and action of a server build is called from, so no route file
 * needs a wrapper. A thrown redirect or 4xx Response is control flow, not an error.
 */

type DataFn = (args: { request: Request; routeId: string; params: Record<string, string | undefined> }) => Promise<unknown>;
interface DataModule {
  callRouteLoader?: DataFn;
  callRouteAction?: DataFn;
}

function isResponse(value: unknown): value is Response {
  return typeof value === 'object' && value !== null && typeof (value as Response).status === 'number' && typeof (value as Response).headers === 'object';
}

function setStatus(span: Span, value: unknown): void {
  if (isResponse(value)) span.setAttribute('http.response.status_code', value.status);
}

export class RemixInstrumentation extends InstrumentationBase {
  constructor() {
    super('opad.remix', '0.1.0', {});
  }

  protected override init() {
    const file = new InstrumentationNodeModuleFile(
      '@remix-run/server-runtime/dist/data.js',
      ['2.*'],
      (moduleExports: DataModule) => {
        for (const [name, type] of [['callRouteLoader', 'loader'], ['callRouteAction', 'action']] as const) {
          if (isWrapped(moduleExports[name])) this._unwrap(moduleExports, name);
          this._wrap(moduleExports, name, (original) => this.wrapDataFunction(original as DataFn, type) as never);
        }
        return moduleExports;
      },
      (moduleExports: DataModule) => {
        if (moduleExports === undefined) return;
        this._unwrap(moduleExports, 'callRouteLoader');
        this._unwrap(moduleExports, 'callRouteAction');
      },
    );
    return [new InstrumentationNodeModuleDefinition('@remix-run/server-runtime', ['2.*'], undefined, undefined, [file])];
  }

  private wrapDataFunction(original: DataFn, type: 'loader' | 'action'): DataFn {
    const tracer = () => this.tracer;
    return async function traced(this: unknown, args) {
      const url = new URL(args.request.url);
      const span = tracer().startSpan(`${type} ${args.routeId}`, {
        kind: SpanKind.INTERNAL,
        attributes: {
          'code.function.name': type,
          'remix.route.id': args.routeId,
          'remix.data.type': type,
          'http.request.method': args.request.method,
          'url.path': url.pathname,
        },
      });
      try {
        const result = await context.with(trace.setSpan(context.active(), span), () => original.call(this, args));
        setStatus(span, result);
        return result;
      } catch (error) {
        if (isResponse(error) && error.status < 500) {
          setStatus(span, error);
        } else {
          recordError(span, error);
          if (isResponse(error)) span.setStatus({ code: SpanStatusCode.ERROR, message: `response ${error.status}` });
        }
        throw error;
      } finally {
        span.end();
      }
    };
  }
}
