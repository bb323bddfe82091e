import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer, type ISerializer, type IExportTraceServiceResponse } from '@opentelemetry/otlp-transformer';
import type { EncodedBatchExporter, EncodedSpanBatch } from './encoding-span-processor.ts';

/**
 * The SDK's OTLP/HTTP exporter machinery — endpoint, headers, timeout and compression from
 * `OTEL_EXPORTER_OTLP_*`, keep-alive agent, retries with backoff on 429/502/503/504, partial-success
 * logging — fed with requests the EncodingSpanProcessor has already encoded: only the serializer
 * differs from `@opentelemetry/exporter-trace-otlp-proto`'s.
 */
const serializer: ISerializer<EncodedSpanBatch, IExportTraceServiceResponse> = {
  serializeRequest: (batch) => batch.bytes,
  deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data),
};

export function createOtlpProtobufExporter(): EncodedBatchExporter {
  const delegate = createOtlpHttpExportDelegate(
    convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' }),
    serializer,
    'otlp_http_span_exporter',
    { name: 'span', countItems: (batch: EncodedSpanBatch) => batch.spanCount },
    undefined,
  );
  return new OTLPExporterBase<EncodedSpanBatch>(delegate);
}
