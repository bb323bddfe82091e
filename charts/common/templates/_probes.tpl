{{/*
An HTTP probe from values: {{ include "common.probes.http" (dict "probe" .Values.readinessProbe "port" "http") }}
The probe value carries enabled, path and the usual timing fields.
*/}}
{{- define "common.probes.http" -}}
httpGet:
  path: {{ .probe.path }}
  port: {{ .port }}
{{ omit .probe "enabled" "path" | toYaml }}
{{- end -}}

{{/* livenessProbe / readinessProbe / startupProbe blocks for a container. */}}
{{- define "common.probes.all" -}}
{{- $port := .port -}}
{{- with .values.startupProbe }}{{ if .enabled }}
startupProbe: {{- include "common.probes.http" (dict "probe" . "port" $port) | nindent 2 }}
{{- end }}{{ end }}
{{- with .values.livenessProbe }}{{ if .enabled }}
livenessProbe: {{- include "common.probes.http" (dict "probe" . "port" $port) | nindent 2 }}
{{- end }}{{ end }}
{{- with .values.readinessProbe }}{{ if .enabled }}
readinessProbe: {{- include "common.probes.http" (dict "probe" . "port" $port) | nindent 2 }}
{{- end }}{{ end }}
{{- end -}}
