{{/*
Labels: the app.kubernetes.io/* set plus .Values.commonLabels.
Selector labels are the stable subset (name + instance): never add to them after a release,
a Deployment's selector is immutable.
*/}}

{{- define "common.labels.standard" -}}
app.kubernetes.io/name: {{ include "common.names.name" . }}
helm.sh/chart: {{ include "common.names.chart" . }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: opad
{{- with .Values.component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- with .Values.commonLabels }}
{{ include "common.tplvalues.render" (dict "value" . "context" $) }}
{{- end }}
{{- end -}}

{{- define "common.labels.matchLabels" -}}
app.kubernetes.io/name: {{ include "common.names.name" . }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end -}}

{{/* metadata.annotations from .Values.commonAnnotations (renders nothing when empty). */}}
{{- define "common.annotations.standard" -}}
{{- with .Values.commonAnnotations }}
{{ include "common.tplvalues.render" (dict "value" . "context" $) }}
{{- end }}
{{- end -}}

{{/* Standard labels with another component: (dict "context" $ "component" "migrations"). */}}
{{- define "common.labels.withComponent" -}}
{{- $labels := include "common.labels.standard" .context | fromYaml -}}
{{- $_ := set $labels "app.kubernetes.io/component" .component -}}
{{- toYaml $labels -}}
{{- end -}}
