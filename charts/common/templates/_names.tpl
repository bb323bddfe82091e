{{/*
Names. Kubernetes names are limited to 63 characters (DNS-1123 labels).
*/}}

{{/* The chart name, or .Values.nameOverride. */}}
{{- define "common.names.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* chart-version, for the helm.sh/chart label. */}}
{{- define "common.names.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Fully qualified name: .Values.fullnameOverride, else "<release>-<name>", or just "<release>" when
the release name already contains the chart name (helm install api charts/api -> "api").
*/}}
{{- define "common.names.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The namespace, overridable for umbrella installs. */}}
{{- define "common.names.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* ServiceAccount name. */}}
{{- define "common.names.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "common.names.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Name of the Secret holding credentials: existingSecret (chart, then global), else the chart's own. */}}
{{- define "common.names.secretName" -}}
{{- $global := ((.Values.global).opad) | default dict -}}
{{- if .Values.existingSecret -}}
{{- tpl .Values.existingSecret $ -}}
{{- else if $global.existingSecret -}}
{{- tpl $global.existingSecret $ -}}
{{- else -}}
{{- include "common.names.fullname" . -}}
{{- end -}}
{{- end -}}

{{/* true when the chart renders its own credentials Secret (no existingSecret anywhere). */}}
{{- define "common.secret.create" -}}
{{- $global := ((.Values.global).opad) | default dict -}}
{{- if and (not .Values.existingSecret) (not $global.existingSecret) -}}true{{- end -}}
{{- end -}}
