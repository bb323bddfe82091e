{{/*
Image reference: [registry/]repository[:tag][@digest]. The tag defaults to the chart's appVersion;
a digest, when given, pins the image (the tag is kept for readability).
global.imageRegistry overrides every chart's registry (mirrors, the kind registry).
*/}}
{{- define "common.images.image" -}}
{{- $img := .Values.image -}}
{{- $global := ((.Values.global).opad) | default dict -}}
{{- $registry := default $img.registry ((.Values.global).imageRegistry) -}}
{{- $tag := default .Chart.AppVersion (default $global.imageTag $img.tag) | toString -}}
{{- $ref := $img.repository -}}
{{- if $registry }}{{ $ref = printf "%s/%s" $registry $ref }}{{ end -}}
{{- if $tag }}{{ $ref = printf "%s:%s" $ref $tag }}{{ end -}}
{{- if $img.digest }}{{ $ref = printf "%s@%s" $ref $img.digest }}{{ end -}}
{{- $ref -}}
{{- end -}}

{{- define "common.images.pullSecrets" -}}
{{- $secrets := concat (((.Values.global).imagePullSecrets) | default list) (.Values.image.pullSecrets | default list) | uniq -}}
{{- if $secrets }}
imagePullSecrets:
{{- range $secrets }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}
