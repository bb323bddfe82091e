{{/* OpenAPI schema of a scaleUp / scaleDown rule set (HPA's HPAScalingRules). */}}
{{- define "autoscaler.scalingRulesSchema" -}}
type: object
properties:
  stabilizationWindowSeconds: {type: number, minimum: 0, maximum: 3600}
  selectPolicy: {type: string, enum: [Max, Min, Disabled]}
  policies:
    type: array
    items:
      type: object
      required: [type, value, periodSeconds]
      properties:
        type: {type: string, enum: [Pods, Percent]}
        value: {type: integer, minimum: 1}
        periodSeconds: {type: number, minimum: 0.1, maximum: 1800}
{{- end -}}

{{/* The rules the controller needs in every watched namespace. */}}
{{- define "autoscaler.rbacRules" -}}
- apiGroups: [opad.dev]
  resources: [queuescalers]
  verbs: [get, list, watch]
- apiGroups: [opad.dev]
  resources: [queuescalers/status]
  verbs: [get, patch, update]
- apiGroups: [apps]
  resources: [deployments/scale]
  verbs: [get, patch, update]
- apiGroups: [""]
  resources: [pods]
  verbs: [list, patch]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
  {{- with .Values.rbac.secretNames }}
  resourceNames: {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{- define "autoscaler.validateValues" -}}
{{- if and .Values.queueScaler.create (gt (int .Values.queueScaler.minReplicas) (int .Values.queueScaler.maxReplicas)) -}}
{{- fail "autoscaler: queueScaler.minReplicas must not exceed queueScaler.maxReplicas" -}}
{{- end -}}
{{- if and .Values.leaderElection.enabled (le (float64 .Values.leaderElection.leaseDurationSeconds) (float64 .Values.leaderElection.renewDeadlineSeconds)) -}}
{{- fail "autoscaler: leaderElection.leaseDurationSeconds must be greater than renewDeadlineSeconds" -}}
{{- end -}}
{{- end -}}
