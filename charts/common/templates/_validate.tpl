{{/*
validateValues: fail the install with a plain message instead of rendering something broken.
Each chart calls {{ include "common.validate.values" . }} from one template, adding its own
checks through the "messages" list it passes in.
*/}}
{{- define "common.validate.credentials" -}}
{{- if include "common.secret.create" . -}}
{{- $secrets := include "common.env.secretDict" . | fromYaml -}}
{{- range ((.Values.secretKeys).required | default list) -}}
{{- if not (hasKey $secrets .) }}
{{ include "common.names.fullname" $ }}: the credential {{ . }} is empty. Set secretEnv.{{ . }} (or global.opad.secretEnv.{{ . }} in the umbrella chart), or set existingSecret to a Secret that has the key {{ . }}.
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Joins the messages and fails when there is any. */}}
{{- define "common.validate.fail" -}}
{{- $msg := list -}}
{{- range .messages -}}{{- if trim . -}}{{- $msg = append $msg (trim .) -}}{{- end -}}{{- end -}}
{{- if $msg -}}
{{- printf "\nVALUES VALIDATION:\n%s" (join "\n" $msg) | fail -}}
{{- end -}}
{{- end -}}
