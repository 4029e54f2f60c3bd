{{/*
Names and labels shared by the templates. The objects take the release's name (helm
install model ... makes deployment/model and service/model), so the labs' checks, the
traffic generator and cluster DNS (http://model) find them as with the plain manifests.
Labels: https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/
*/}}
{{- define "model.fullname" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The selector: immutable on a Deployment, so only the stable "app" label. */}}
{{- define "model.selectorLabels" -}}
app: {{ include "model.fullname" . }}
{{- end -}}

{{- define "model.labels" -}}
{{ include "model.selectorLabels" . }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ include "model.tag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "model.tag" -}}
{{- .Values.image.tag | default .Chart.AppVersion -}}
{{- end -}}
