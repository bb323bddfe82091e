{{/*
Small resources every OPAD service chart renders the same way. A service chart keeps one
resource per template file, each calling one of these:
  templates/configmap.yaml       {{ include "common.configmap" . }}
  templates/secret.yaml          {{ include "common.secret" . }}
  templates/serviceaccount.yaml  {{ include "common.serviceaccount" . }}
  templates/service.yaml         {{ include "common.service" . }}
  templates/pdb.yaml             {{ include "common.pdb" . }}
  templates/ingress.yaml         {{ include "common.ingress" . }}
*/}}

{{- define "common.metadata" -}}
name: {{ include "common.names.fullname" . }}
namespace: {{ include "common.names.namespace" . }}
labels: {{- include "common.labels.standard" . | nindent 2 }}
{{- with (include "common.annotations.standard" . | trim) }}
annotations: {{- . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "common.configmap" -}}
apiVersion: v1
kind: ConfigMap
metadata: {{- include "common.metadata" . | nindent 2 }}
data: {{- include "common.env.configData" . | trim | nindent 2 }}
{{- end -}}

{{- define "common.secret" -}}
{{- if and (include "common.secret.create" .) (include "common.env.secretData" . | trim) -}}
apiVersion: v1
kind: Secret
metadata: {{- include "common.metadata" . | nindent 2 }}
type: Opaque
data: {{- include "common.env.secretData" . | trim | nindent 2 }}
{{- end -}}
{{- end -}}

{{- define "common.serviceaccount" -}}
{{- if .Values.serviceAccount.create -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "common.names.serviceAccountName" . }}
  namespace: {{ include "common.names.namespace" . }}
  labels: {{- include "common.labels.standard" . | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations: {{- include "common.tplvalues.render" (dict "value" . "context" $) | nindent 4 }}
  {{- end }}
automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
{{- end -}}
{{- end -}}

{{/* Service: .Values.service.{type,port,annotations}; targets the container port named "http". */}}
{{- define "common.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "common.names.fullname" . }}
  namespace: {{ include "common.names.namespace" . }}
  labels: {{- include "common.labels.standard" . | nindent 4 }}
  {{- with .Values.service.annotations }}
  annotations: {{- include "common.tplvalues.render" (dict "value" . "context" $) | nindent 4 }}
  {{- end }}
spec:
  type: {{ .Values.service.type }}
  ports:
    - name: {{ .Values.service.portName | default "http" }}
      port: {{ .Values.service.port }}
      targetPort: {{ .Values.service.targetPort | default "http" }}
      protocol: TCP
  selector: {{- include "common.labels.matchLabels" . | nindent 4 }}
{{- end -}}

{{/* PodDisruptionBudget: .Values.pdb.{create,minAvailable,maxUnavailable}. */}}
{{- define "common.pdb" -}}
{{- if .Values.pdb.create -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{- include "common.metadata" . | nindent 2 }}
spec:
  {{- if not (kindIs "invalid" .Values.pdb.maxUnavailable) }}
  maxUnavailable: {{ .Values.pdb.maxUnavailable }}
  {{- else }}
  minAvailable: {{ .Values.pdb.minAvailable }}
  {{- end }}
  selector:
    matchLabels: {{- include "common.labels.matchLabels" . | nindent 6 }}
{{- end -}}
{{- end -}}

{{/* Ingress: .Values.ingress.{enabled,className,hostname,path,pathType,tls,annotations,extraHosts}. */}}
{{- define "common.ingress" -}}
{{- if .Values.ingress.enabled -}}
{{- $svc := include "common.names.fullname" . -}}
{{- $port := .Values.service.port -}}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ include "common.names.fullname" . }}
  namespace: {{ include "common.names.namespace" . }}
  labels: {{- include "common.labels.standard" . | nindent 4 }}
  {{- with .Values.ingress.annotations }}
  annotations: {{- include "common.tplvalues.render" (dict "value" . "context" $) | nindent 4 }}
  {{- end }}
spec:
  {{- with .Values.ingress.className }}
  ingressClassName: {{ . }}
  {{- end }}
  rules:
    {{- range (prepend (.Values.ingress.extraHosts | default list) (dict "name" .Values.ingress.hostname "path" .Values.ingress.path)) }}
    - host: {{ tpl .name $ | quote }}
      http:
        paths:
          - path: {{ default $.Values.ingress.path .path }}
            pathType: {{ $.Values.ingress.pathType }}
            backend:
              service:
                name: {{ $svc }}
                port:
                  number: {{ $port }}
    {{- end }}
  {{- if .Values.ingress.tls }}
  tls:
    - hosts:
        - {{ tpl .Values.ingress.hostname $ | quote }}
        {{- range .Values.ingress.extraHosts }}
        - {{ tpl .name $ | quote }}
        {{- end }}
      secretName: {{ default (printf "%s-tls" (tpl .Values.ingress.hostname $)) .Values.ingress.tlsSecretName }}
  {{- end }}
{{- end -}}
{{- end -}}

{{/*
Topology spread: .Values.topologySpread.{enabled,maxSkew,whenUnsatisfiable,topologyKeys}
spreads the pods over zones and nodes; .Values.topologySpreadConstraints adds raw ones.
*/}}
{{- define "common.topologySpread" -}}
{{- $items := list -}}
{{- if .Values.topologySpread.enabled -}}
{{- range .Values.topologySpread.topologyKeys -}}
{{- $items = append $items (dict "maxSkew" ($.Values.topologySpread.maxSkew | int) "topologyKey" . "whenUnsatisfiable" $.Values.topologySpread.whenUnsatisfiable "labelSelector" (dict "matchLabels" (include "common.labels.matchLabels" $ | fromYaml))) -}}
{{- end -}}
{{- end -}}
{{- $items = concat $items (.Values.topologySpreadConstraints | default list) -}}
{{- if $items }}
topologySpreadConstraints: {{- include "common.tplvalues.render" (dict "value" $items "context" $) | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Writable scratch space for a read-only root filesystem: an emptyDir on /tmp. */}}
{{- define "common.volumes.tmp" -}}
- name: tmp
  emptyDir:
    {{- with .Values.tmpVolume.sizeLimit }}
    sizeLimit: {{ . }}
    {{- end }}
    {{- with .Values.tmpVolume.medium }}
    medium: {{ . }}
    {{- end }}
{{- end -}}

{{- define "common.volumeMounts.tmp" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/*
Pod-level scheduling fields shared by every workload: nodeSelector, tolerations, affinity,
priorityClassName, topology spread.
*/}}
{{- define "common.pod.scheduling" -}}
{{- with .Values.nodeSelector }}
nodeSelector: {{- include "common.tplvalues.render" (dict "value" . "context" $) | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations: {{- include "common.tplvalues.render" (dict "value" . "context" $) | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity: {{- include "common.tplvalues.render" (dict "value" . "context" $) | nindent 2 }}
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- include "common.topologySpread" . }}
{{- end -}}

{{/* Pod template metadata: selector labels + standard labels, checksums and podAnnotations. */}}
{{- define "common.pod.metadata" -}}
labels: {{- include "common.labels.standard" . | nindent 2 }}
  {{- with .Values.podLabels }}
  {{- include "common.tplvalues.render" (dict "value" . "context" $) | nindent 2 }}
  {{- end }}
annotations: {{- include "common.env.checksums" . | nindent 2 }}
  {{- with .Values.podAnnotations }}
  {{- include "common.tplvalues.render" (dict "value" . "context" $) | nindent 2 }}
  {{- end }}
{{- end -}}
