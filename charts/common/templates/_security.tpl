{{/*
Security contexts. Values (both with an `enabled` switch):
  podSecurityContext:       runAsNonRoot, runAsUser, runAsGroup, fsGroup, seccompProfile
  containerSecurityContext: runAsNonRoot, runAsUser, allowPrivilegeEscalation=false,
                            readOnlyRootFilesystem=true, capabilities.drop=[ALL], seccompProfile
*/}}
{{- define "common.security.pod" -}}
{{- if .Values.podSecurityContext.enabled }}
securityContext: {{- omit .Values.podSecurityContext "enabled" | toYaml | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "common.security.container" -}}
{{- if .Values.containerSecurityContext.enabled }}
securityContext: {{- omit .Values.containerSecurityContext "enabled" | toYaml | nindent 2 }}
{{- end }}
{{- end -}}
