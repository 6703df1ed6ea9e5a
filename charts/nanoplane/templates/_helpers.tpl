{{/*
Names are fixed, not derived from the release: agents on other machines are configured with the
hub's address (nanoplane-hub.NAMESPACE.svc), and one nanoplane runs per cluster (its CRDs, Hosts
and ClusterRoles are cluster-wide).
*/}}

{{/* Labels on every object. */}}
{{- define "nanoplane.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: nanoplane
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: nanoplane
{{- end }}

{{/* The labels that select one component's pods: (dict "root" $ "component" "controller"). */}}
{{- define "nanoplane.selectorLabels" -}}
app.kubernetes.io/name: nanoplane
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Labels of one component's objects and pods. */}}
{{- define "nanoplane.componentLabels" -}}
{{ include "nanoplane.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* An image reference: (dict "image" .Values.controller.image "root" $). */}}
{{- define "nanoplane.image" -}}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) -}}
{{- end }}

{{/* The join token's Secret: the one named in values, or the one the chart makes. */}}
{{- define "nanoplane.joinTokenSecret" -}}
{{- default "nanoplane-join-token" .Values.joinToken.existingSecret -}}
{{- end }}

{{/* The Secret with the hub's certificate (tls.crt, tls.key, ca.crt), when TLS is on. */}}
{{- define "nanoplane.hubTlsSecret" -}}
{{- if .Values.hub.tls.existingSecret -}}
{{- .Values.hub.tls.existingSecret -}}
{{- else -}}
nanoplane-hub-tls
{{- end -}}
{{- end }}

{{/* Whether the hub serves TLS, after checking that its source is named exactly once. */}}
{{- define "nanoplane.hubTls" -}}
{{- $tls := .Values.hub.tls -}}
{{- if and $tls.existingSecret $tls.certManager.enabled -}}
{{- fail "hub.tls: set existingSecret or certManager.enabled, not both" -}}
{{- end -}}
{{- if or $tls.existingSecret $tls.certManager.enabled -}}true{{- end -}}
{{- end }}

{{/* The hub's address inside the cluster, for agents in it. */}}
{{- define "nanoplane.hubAddress" -}}
{{- printf "nanoplane-hub.%s.svc:7444" .Release.Namespace -}}
{{- end }}

{{/* The DNS names of the hub's Service. */}}
{{- define "nanoplane.hubDnsNames" -}}
- nanoplane-hub
- nanoplane-hub.{{ .Release.Namespace }}
- nanoplane-hub.{{ .Release.Namespace }}.svc
- nanoplane-hub.{{ .Release.Namespace }}.svc.{{ .Values.clusterDomain }}
{{- range .Values.hub.tls.certManager.dnsNames }}
- {{ . | quote }}
{{- end }}
{{- end }}

{{/*
RBAC rules from files/controller-rbac.yaml: (dict "root" $ "scope" "cluster"). Only the fields
of a PolicyRule are rendered.
*/}}
{{- define "nanoplane.controllerRules" -}}
{{- $rules := index (.root.Files.Get "files/controller-rbac.yaml" | fromYaml) .scope -}}
{{- range $rules }}
- apiGroups: {{ toJson .apiGroups }}
  resources: {{ toJson .resources }}
  {{- if .resourceNames }}
  resourceNames: {{ toJson .resourceNames }}
  {{- end }}
  verbs: {{ toJson .verbs }}
{{- end }}
{{- end }}
