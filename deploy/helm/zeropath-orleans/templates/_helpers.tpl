{{- define "zp.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "zp.fullname" -}}
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

{{- define "zp.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "zp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "zp.selector" -}}
app.kubernetes.io/name: {{ include "zp.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "zp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "zp.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* An environment variable read from an existing Secret: (dict "name" ENV "secret" (dict "name" .. "key" ..)). */}}
{{- define "zp.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret.name | quote }}
      key: {{ .secret.key | quote }}
{{- end -}}

{{/* Settings silos and gateways share: cluster ids, membership Redis, cluster TLS paths, the secret format. */}}
{{- define "zp.commonEnv" -}}
- name: ZeroPath__Cluster__ClusterId
  value: {{ .Values.cluster.clusterId | quote }}
- name: ZeroPath__Cluster__ServiceId
  value: {{ .Values.cluster.serviceId | quote }}
- name: ZeroPath__Cluster__Redis
  value: {{ .Values.cluster.redis.connection | quote }}
{{- if .Values.cluster.redis.tls }}
- name: ZeroPath__Cluster__RedisTls
  value: "true"
{{- end }}
{{- with .Values.cluster.redis.user }}
- name: ZeroPath__Cluster__RedisUser
  value: {{ . | quote }}
{{- end }}
{{- if .Values.cluster.redis.passwordSecret.name }}
{{ include "zp.secretEnv" (dict "name" "ZeroPath__Cluster__RedisPassword" "secret" .Values.cluster.redis.passwordSecret) }}
{{- end }}
{{- if .Values.cluster.redis.caSecret.name }}
- name: ZeroPath__Cluster__RedisCaCertificatePath
  value: /etc/zeropath/redis-ca/{{ .Values.cluster.redis.caSecret.key }}
{{- end }}
- name: ZeroPath__Cluster__Tls__CaCertificatePath
  value: /etc/zeropath/cluster-tls/ca.crt
- name: ZeroPath__Cluster__Tls__CertificatePath
  value: /etc/zeropath/cluster-tls/tls.crt
- name: ZeroPath__Cluster__Tls__KeyPath
  value: /etc/zeropath/cluster-tls/tls.key
{{- with .Values.secretFormat.currentKeyId }}
- name: ZeroPath__SecretFormat__CurrentKeyId
  value: {{ . | quote }}
{{- end }}
- name: ZeroPath__SecretFormat__AcceptLegacySecrets
  value: {{ .Values.secretFormat.acceptLegacySecrets | quote }}
{{- range .Values.secretFormat.keys }}
{{ include "zp.secretEnv" (dict "name" (printf "ZeroPath__SecretFormat__Keys__%s" .id) "secret" (dict "name" .secretName "key" .secretKey)) }}
{{- end }}
{{- end -}}

{{/* Volumes both workloads mount: /tmp (the root filesystem is read-only), cluster TLS, the Redis CA. */}}
{{- define "zp.commonVolumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
- name: cluster-tls
  secret:
    secretName: {{ .tlsSecret | quote }}
    defaultMode: 0440
{{- if .root.Values.cluster.redis.caSecret.name }}
- name: redis-ca
  secret:
    secretName: {{ .root.Values.cluster.redis.caSecret.name | quote }}
    defaultMode: 0440
{{- end }}
{{- end -}}

{{- define "zp.commonVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: cluster-tls
  mountPath: /etc/zeropath/cluster-tls
  readOnly: true
{{- if .Values.cluster.redis.caSecret.name }}
- name: redis-ca
  mountPath: /etc/zeropath/redis-ca
  readOnly: true
{{- end }}
{{- end -}}

{{- define "zp.image" -}}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) -}}
{{- end -}}

{{/* Prometheus scrape listener and OTLP export settings, for silos and gateways. */}}
{{- define "zp.telemetryEnv" -}}
{{- if .Values.metrics.prometheus.enabled }}
- name: ZeroPath__Telemetry__Prometheus__Listen
  value: {{ printf "http://0.0.0.0:%v" .Values.metrics.prometheus.port | quote }}
{{- end }}
{{- with .Values.otel.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ $.Values.otel.protocol | quote }}
{{- end }}
{{- if .Values.otel.headersSecret.name }}
{{ include "zp.secretEnv" (dict "name" "OTEL_EXPORTER_OTLP_HEADERS" "secret" .Values.otel.headersSecret) }}
{{- end }}
{{- with .Values.otel.resourceAttributes }}
{{- $attributes := list }}
{{- range $key, $value := . }}
{{- $attributes = append $attributes (printf "%s=%v" $key $value) }}
{{- end }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ join "," $attributes | quote }}
{{- end }}
{{- end -}}

{{/* The metrics containerPort, when the scrape listener is on. */}}
{{- define "zp.metricsPort" -}}
{{- if .Values.metrics.prometheus.enabled }}
- name: metrics
  containerPort: {{ .Values.metrics.prometheus.port }}
{{- end }}
{{- end -}}

{{/* Pod annotations: the component's own over the prometheus.io ones. Args: root, extra. */}}
{{- define "zp.podAnnotations" -}}
{{- $annotations := dict }}
{{- $metrics := .root.Values.metrics.prometheus }}
{{- if and $metrics.enabled $metrics.podAnnotations }}
{{- $_ := set $annotations "prometheus.io/scrape" "true" }}
{{- $_ := set $annotations "prometheus.io/port" (toString $metrics.port) }}
{{- $_ := set $annotations "prometheus.io/path" "/metrics" }}
{{- end }}
{{- $annotations = merge (deepCopy (.extra | default dict)) $annotations }}
{{- if $annotations }}
{{- toYaml $annotations }}
{{- end }}
{{- end -}}

{{/* NetworkPolicy ingress rule for the metrics port: this namespace and metrics.allowedNamespaces. */}}
{{- define "zp.metricsIngress" -}}
{{- if .Values.metrics.prometheus.enabled }}
- from:
    - podSelector: {}
    {{- range .Values.metrics.allowedNamespaces }}
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ . | quote }}
    {{- end }}
  ports:
    - protocol: TCP
      port: {{ .Values.metrics.prometheus.port }}
{{- end }}
{{- end -}}
