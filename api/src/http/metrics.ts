import { Registry, collectDefaultMetrics, Histogram, Counter } from 'prom-client';
import type { RequestHandler } from 'express';

export interface HttpMetrics {
  registry: Registry;
  middleware: RequestHandler;
  generateRequests: Counter<'outcome'>;
}

/** Prometheus metrics: process defaults plus request durations labelled by route template. */
export function createHttpMetrics(): HttpMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'opad-api' });
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const generateRequests = new Counter({
    name: 'opad_generate_requests_total',
    help: 'POST /articles/:id/generate by outcome (created, existing, queue_unavailable)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const middleware: RequestHandler = (req, res, next) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      // The route template (not the raw path) keeps label cardinality bounded.
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
  return { registry, middleware, generateRequests };
}
