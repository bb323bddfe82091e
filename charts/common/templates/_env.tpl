{{/*
Environment (12-factor). Every OPAD service validates its environment with a zod schema at
start; the charts provide exactly those variables:

  env             plain settings   -> the chart's ConfigMap, loaded with envFrom
  secretEnv       credentials      -> the chart's Secret (only when no existingSecret is set)
  existingSecret  a Secret you manage, keys named like the variables (DATABASE_URL, ...)
  secretKeys      which Secret keys become variables: required (pod fails to start without
                  them) and optional (wired with optional: true)
  otel            OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT, extra resource attributes
  global.opad.{env,secretEnv,existingSecret,otel}   the umbrella's one place for shared
                  settings. A global value wins over the chart's default (as
                  global.imageRegistry does); to differ in one service use its extraEnvVars.
                  A service takes from global.opad.env only the keys in its globalEnvKeys and
                  from global.opad.secretEnv only its secretKeys (web never gets DATABASE_URL).
*/}}

{{/* Merged plain settings as a dict (service wins over global). */}}
{{- define "common.env.plainDict" -}}
{{- $global := ((.Values.global).opad) | default dict -}}
{{- $shared := dict -}}
{{- range $k, $v := ($global.env | default dict) -}}
{{- if has $k ($.Values.globalEnvKeys | default list) -}}{{- $_ := set $shared $k $v -}}{{- end -}}
{{- end -}}
{{- $env := merge $shared (deepCopy (.Values.env | default dict)) -}}
{{- $otel := merge (deepCopy (omit ($global.otel | default dict) "serviceName")) (deepCopy (.Values.otel | default dict)) -}}
{{- $_ := set $env "OTEL_SERVICE_NAME" (default (printf "opad-%s" (include "common.names.name" .)) $otel.serviceName) -}}
{{- if $otel.endpoint -}}
{{- $_ := set $env "OTEL_EXPORTER_OTLP_ENDPOINT" $otel.endpoint -}}
{{- $_ := set $env "OTEL_EXPORTER_OTLP_PROTOCOL" (default "http/protobuf" $otel.protocol) -}}
{{- else -}}
{{- /* No collector configured: switch the SDK off instead of exporting to localhost. */ -}}
{{- $_ := set $env "OTEL_SDK_DISABLED" "true" -}}
{{- end -}}
{{- $out := dict -}}
{{- range $k, $v := $env -}}
{{- if not (kindIs "invalid" $v) -}}{{- $_ := set $out $k (tpl (toString $v) $) -}}{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* Merged credentials as a dict, empty values dropped (service wins over global). */}}
{{- define "common.env.secretDict" -}}
{{- $global := ((.Values.global).opad) | default dict -}}
{{- $keys := concat ((.Values.secretKeys).required | default list) ((.Values.secretKeys).optional | default list) -}}
{{- $shared := dict -}}
{{- range $k, $v := ($global.secretEnv | default dict) -}}
{{- if has $k $keys -}}{{- $_ := set $shared $k $v -}}{{- end -}}
{{- end -}}
{{- $all := merge $shared (deepCopy (.Values.secretEnv | default dict)) -}}
{{- $out := dict -}}
{{- range $k, $v := $all -}}
{{- if and (not (kindIs "invalid" $v)) (ne (toString $v) "") -}}{{- $_ := set $out $k (toString $v) -}}{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* ConfigMap data block. */}}
{{- define "common.env.configData" -}}
{{- range $k, $v := (include "common.env.plainDict" . | fromYaml) }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end -}}

{{/* Secret data block (base64). */}}
{{- define "common.env.secretData" -}}
{{- range $k, $v := (include "common.env.secretDict" . | fromYaml) }}
{{ $k }}: {{ $v | b64enc | quote }}
{{- end }}
{{- end -}}

{{/* Pod annotations that roll the pods when configuration changes. */}}
{{- define "common.env.checksums" -}}
checksum/config: {{ include "common.env.configData" . | sha256sum }}
{{- if and (include "common.secret.create" .) (include "common.env.secretData" . | trim) }}
checksum/secret: {{ include "common.env.secretData" . | sha256sum }}
{{- end }}
{{- end -}}

{{/*
The container's env: downward API for the OTEL resource attributes, the credential keys from
the Secret, then extraEnvVars. Use with "common.env.envFrom" for the ConfigMap.
*/}}
{{- define "common.env.vars" -}}
{{- $global := ((.Values.global).opad) | default dict -}}
{{- $otel := merge (deepCopy (omit ($global.otel | default dict) "serviceName")) (deepCopy (.Values.otel | default dict)) -}}
{{- $secretName := include "common.names.secretName" . -}}
{{- $keys := .Values.secretKeys | default dict -}}
{{- $required := $keys.required | default list -}}
{{- $optional := $keys.optional | default list -}}
{{- $wired := list -}}
- name: K8S_POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: K8S_NAMESPACE_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ printf "k8s.pod.name=$(K8S_POD_NAME),k8s.namespace.name=$(K8S_NAMESPACE_NAME),service.namespace=opad,service.version=%s%s" .Chart.AppVersion (ternary (printf ",%s" $otel.resourceAttributes) "" (not (empty $otel.resourceAttributes))) | quote }}
{{- range $required }}
{{- $wired = append $wired . }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: {{ . }}
{{- end }}
{{- range $optional }}
{{- if not (has . $wired) }}
{{- $wired = append $wired . }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: {{ . }}
      optional: true
{{- end }}
{{- end }}
{{- if include "common.secret.create" . }}
{{- range $k, $v := (include "common.env.secretDict" . | fromYaml) }}
{{- if not (has $k $wired) }}
- name: {{ $k }}
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: {{ $k }}
{{- end }}
{{- end }}
{{- end }}
{{- with .Values.extraEnvVars }}
{{ include "common.tplvalues.render" (dict "value" . "context" $) }}
{{- end }}
{{- end -}}

{{- define "common.env.envFrom" -}}
- configMapRef:
    name: {{ include "common.names.fullname" . }}
{{- with .Values.extraEnvVarsCM }}
- configMapRef:
    name: {{ tpl . $ }}
{{- end }}
{{- with .Values.extraEnvVarsSecret }}
- secretRef:
    name: {{ tpl . $ }}
{{- end }}
{{- end -}}
