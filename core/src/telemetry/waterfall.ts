import { readFileSync, writeFileSync } from 'node:fs';
import type { ReceivedSpan } from '../testing/otlp-receiver.ts';

/**
 * A trace's spans as a waterfall: text (for markdown) and HTML (screenshot to PNG with headless
 * Chromium). For docs/observability.md, from the spans the end-to-end trace test captured:
 *
 *   npx node core/src/telemetry/waterfall.ts e2e/artifacts/trace-spans.json docs/observability-trace.png
 */

interface Row {
  readonly span: ReceivedSpan;
  readonly depth: number;
}

/** Depth-first, children by start time; spans whose parent is missing become roots. */
export function orderSpans(spans: readonly ReceivedSpan[]): Row[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, ReceivedSpan[]>();
  for (const s of spans) {
    const key = s.parentSpanId && ids.has(s.parentSpanId) ? s.parentSpanId : '';
    children.set(key, [...(children.get(key) ?? []), s]);
  }
  const rows: Row[] = [];
  const walk = (parent: string, depth: number) => {
    for (const s of (children.get(parent) ?? []).sort((a, b) => a.startMs - b.startMs)) {
      rows.push({ span: s, depth });
      walk(s.spanId, depth + 1);
    }
  };
  walk('', 0);
  return rows;
}

const scopeOf = (s: ReceivedSpan) => s.scope.replace('@opentelemetry/instrumentation-', '');

export function renderWaterfallText(spans: readonly ReceivedSpan[], width = 40): string {
  const rows = orderSpans(spans);
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const total = Math.max(...spans.map((s) => s.endMs)) - t0 || 1;
  const lines = rows.map(({ span, depth }) => {
    const from = Math.floor(((span.startMs - t0) / total) * width);
    const len = Math.max(1, Math.round(((span.endMs - span.startMs) / total) * width));
    const bar = ' '.repeat(from) + (span.status.code === 2 ? '!' : '█').repeat(Math.min(len, width - from));
    const name = `${'  '.repeat(depth)}${span.name}`;
    return `${bar.padEnd(width)} ${(span.endMs - span.startMs).toFixed(1).padStart(7)} ms  ${span.serviceName.padEnd(11)} ${name}  [${scopeOf(span)}]`;
  });
  return [`${'timeline'.padEnd(width)}  duration  service     span  [instrumentation]`, ...lines].join('\n');
}

const COLORS: Record<string, string> = { 'opad-web': '#3b82f6', 'opad-api': '#10b981', 'opad-worker': '#f59e0b' };
const esc = (t: string) => t.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);

export function renderWaterfallHtml(spans: readonly ReceivedSpan[], title = 'One generation, one trace'): string {
  const rows = orderSpans(spans);
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const total = Math.max(...spans.map((s) => s.endMs)) - t0 || 1;
  const body = rows
    .map(({ span, depth }) => {
      const left = ((span.startMs - t0) / total) * 100;
      const width = Math.max(0.3, ((span.endMs - span.startMs) / total) * 100);
      const color = span.status.code === 2 ? '#ef4444' : (COLORS[span.serviceName] ?? '#6b7280');
      return `<tr><td class="svc" style="color:${color}">${esc(span.serviceName)}</td><td class="name" style="padding-left:${8 + depth * 14}px">${esc(span.name)} <span class="scope">${esc(scopeOf(span))}</span></td><td class="dur">${(span.endMs - span.startMs).toFixed(1)} ms</td><td class="lane"><div class="bar" style="left:${left}%;width:${width}%;background:${color}"></div></td></tr>`;
    })
    .join('\n');
  const traceId = spans[0]?.traceId ?? '';
  return `<!doctype html><html><head><meta charset="utf-8"><style>
body{font:12px/1.35 -apple-system,"DejaVu Sans",sans-serif;margin:16px;color:#111}
h1{font-size:15px;margin:0 0 4px} .meta{color:#555;margin-bottom:10px}
table{border-collapse:collapse;width:1240px} td{padding:1px 6px;white-space:nowrap;border-bottom:1px solid #f1f1f1}
.svc{width:80px;font-weight:600} .name{width:430px;overflow:hidden;text-overflow:ellipsis;max-width:430px}
.scope{color:#999;font-size:10px} .dur{width:70px;text-align:right;color:#444}
.lane{position:relative;width:600px} .bar{position:absolute;top:3px;height:11px;border-radius:2px}
.legend span{display:inline-block;margin-right:14px}
</style></head><body><h1>${esc(title)}</h1>
<div class="meta">trace ${esc(traceId)} · ${spans.length} spans · ${total.toFixed(0)} ms · <span class="legend"><span style="color:${COLORS['opad-web']}">■ opad-web</span><span style="color:${COLORS['opad-api']}">■ opad-api</span><span style="color:${COLORS['opad-worker']}">■ opad-worker</span><span style="color:#ef4444">■ error</span></span></div>
<table>${body}</table></body></html>`;
}

if (import.meta.main) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    process.stderr.write('usage: waterfall.ts <spans.json> <out.png|out.html|out.txt>\n');
    process.exit(64);
  }
  const spans = JSON.parse(readFileSync(input, 'utf8')) as ReceivedSpan[];
  if (output.endsWith('.txt')) writeFileSync(output, `${renderWaterfallText(spans)}\n`);
  else if (output.endsWith('.html')) writeFileSync(output, renderWaterfallHtml(spans));
  else {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 400 } });
    await page.setContent(renderWaterfallHtml(spans));
    await page.screenshot({ path: output, fullPage: true });
    await browser.close();
  }
}
