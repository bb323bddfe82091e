import { createOtlpNetworkExportDelegate, OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate, createOtlpHttpExporterMetrics } from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer, type ISerializer, type IExportTraceServiceResponse } from '@opentelemetry/otlp-transformer';
import type { EncodedBatchExporter, EncodedSpanBatch } from './encoding-span-processor.ts';
import { createSocketTransport, withRetries } from './socket-transport.ts';

/**
 * The SDK's OTLP/HTTP exporter machinery — endpoint, headers, timeout and compression from
 * `OTEL_EXPORTER_OTLP_*`, retries with backoff on 429/502/503/504, partial-success logging — fed
 * with requests the EncodingSpanProcessor has already encoded: only the serializer differs from
 * `@opentelemetry/exporter-trace-otlp-proto`'s. An `http:` endpoint is reached through our
 * socket transport (socket-transport.ts says why), an `https:` one through the SDK's.
 */
const serializer: ISerializer<EncodedSpanBatch, IExportTraceServiceResponse> = {
  serializeRequest: (batch) => batch.bytes,
  deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data),
};

const METRICS_COMPONENT = 'otlp_http_span_exporter';
const countSpans = { name: 'span' as const, countItems: (batch: EncodedSpanBatch) => batch.spanCount };

export function createOtlpProtobufExporter(): EncodedBatchExporter {
  const options = convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' });
  if (new URL(options.url).protocol === 'http:') {
    const transport = withRetries(createSocketTransport(options));
    const metrics = createOtlpHttpExporterMetrics(METRICS_COMPONENT, countSpans, options.url, undefined);
    return new OTLPExporterBase<EncodedSpanBatch>(createOtlpNetworkExportDelegate(options, serializer, metrics, transport));
  }
  return new OTLPExporterBase<EncodedSpanBatch>(createOtlpHttpExportDelegate(options, serializer, METRICS_COMPONENT, countSpans, undefined));
}
