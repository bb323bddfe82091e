{{/* The worker Deployment's name, as charts/worker computes it from its own values. */}}
{{- define "opad.workerFullname" -}}
{{- $w := .Values.worker | default dict -}}
{{- if $w.fullnameOverride -}}
{{- $w.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default "worker" $w.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The queue prefix the worker uses: global, else the worker's env, else "opad". */}}
{{- define "opad.queuePrefix" -}}
{{- $g := (((.Values.global).opad).env).QUEUE_PREFIX -}}
{{- $w := ((.Values.worker).env).QUEUE_PREFIX -}}
{{- default "opad" (default $w $g) -}}
{{- end -}}
