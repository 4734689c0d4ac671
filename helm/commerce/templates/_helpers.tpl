{{/*
Names
*/}}
{{- define "commerce.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: "<release>-<chart>" truncated to 63 characters (DNS label), or fullnameOverride.
Component resources append "-api", "-worker", ...: keep release names short.
*/}}
{{- define "commerce.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "commerce.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels. Call with (dict "root" $ "component" "api").
*/}}
{{- define "commerce.selectorLabels" -}}
app.kubernetes.io/name: {{ include "commerce.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{- define "commerce.labels" -}}
helm.sh/chart: {{ include "commerce.chart" .root }}
{{ include "commerce.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Values.image.tag | default .root.Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: commerce
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Resource names
*/}}
{{- define "commerce.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "commerce.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret every long-running pod reads: existingSecret or the one the chart creates. */}}
{{- define "commerce.secretName" -}}
{{- default (include "commerce.fullname" .) .Values.existingSecret }}
{{- end }}

{{/*
The Secret the migration Job reads. As a pre-install hook it runs before the chart's regular
resources exist, so it reads either existingSecret (created beforehand) or a copy of the chart's
Secret that is itself a hook with a lower weight (templates/migrations/secret.yaml).
*/}}
{{- define "commerce.migrations.secretName" -}}
{{- if .Values.existingSecret }}
{{- .Values.existingSecret }}
{{- else if .Values.migrations.hook }}
{{- printf "%s-migrations" (include "commerce.fullname" .) }}
{{- else }}
{{- include "commerce.fullname" . }}
{{- end }}
{{- end }}

{{- define "commerce.migrations.serviceAccountName" -}}
{{- if and .Values.migrations.hook .Values.serviceAccount.create }}
{{- printf "%s-migrations" (include "commerce.fullname" .) }}
{{- else }}
{{- include "commerce.serviceAccountName" . }}
{{- end }}
{{- end }}

{{- define "commerce.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/*
Secret data: the chart's Secret and the migration hook's copy render the same map.
The signing key, when not given, is generated once per render (shared by both copies through
.Values) and read back from the existing Secret on upgrades.
*/}}
{{- define "commerce.secretKey" -}}
{{- if not .Values.secret.secretKey }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "commerce.fullname" .) }}
{{- $data := dig "data" (dict) ($existing | default (dict)) }}
{{- if hasKey $data "COMMERCE_AUTH__SECRET_KEY" }}
{{- $_ := set .Values.secret "secretKey" (index $data "COMMERCE_AUTH__SECRET_KEY" | b64dec) }}
{{- else }}
{{- $_ := set .Values.secret "secretKey" (randAlphaNum 64) }}
{{- $_ := set .Values.secret "generatedSecretKey" true }}
{{- end }}
{{- end }}
{{- .Values.secret.secretKey }}
{{- end }}

{{- define "commerce.secretData" -}}
{{- $s := .Values.secret }}
{{- $data := dict "COMMERCE_AUTH__SECRET_KEY" (include "commerce.secretKey" .) }}
{{- with $s.databaseUrl }}{{ $_ := set $data "DATABASE_URL" . }}{{ end }}
{{- with $s.redisUrl }}{{ $_ := set $data "REDIS_URL" . }}{{ end }}
{{- with $s.flowerBasicAuth }}{{ $_ := set $data "COMMERCE_CELERY__FLOWER_BASIC_AUTH" . }}{{ end }}
{{- with $s.mailPassword }}{{ $_ := set $data "COMMERCE_MAIL__PASSWORD" . }}{{ end }}
{{- with $s.sentryDsn }}{{ $_ := set $data "COMMERCE_SENTRY__DSN" . }}{{ end }}
{{- with $s.stripeSecretKey }}{{ $_ := set $data "COMMERCE_STRIPE__SECRET_KEY" . }}{{ end }}
{{- with $s.stripePlatformWebhookSecrets }}{{ $_ := set $data "COMMERCE_STRIPE__PLATFORM_WEBHOOK_SECRETS" . }}{{ end }}
{{- with $s.stripeConnectWebhookSecrets }}{{ $_ := set $data "COMMERCE_STRIPE__CONNECT_WEBHOOK_SECRETS" . }}{{ end }}
{{- range $name, $value := $s.env }}{{ $_ := set $data $name (toString $value) }}{{ end }}
{{- range $name, $value := $data }}
{{ $name }}: {{ $value | b64enc | quote }}
{{- end }}
{{- end }}

{{/*
Non-secret settings as NAME: "value" lines: the ConfigMap's data, and the migration Job's env
(a pre-install hook cannot read the ConfigMap: it does not exist yet).
*/}}
{{- define "commerce.configData" -}}
{{- $c := .Values.config }}
{{- $data := dict
  "COMMERCE_ENVIRONMENT" $c.environment
  "COMMERCE_TENANCY__BASE_DOMAIN" .Values.baseDomain
  "COMMERCE_LOG__LEVEL" $c.log.level
  "COMMERCE_LOG__JSON_FORMAT" (toString $c.log.json)
  "COMMERCE_DB__POOL_SIZE" (toString $c.db.poolSize)
  "COMMERCE_DB__MAX_OVERFLOW" (toString $c.db.maxOverflow)
  "COMMERCE_DB__POOL_RECYCLE_SECONDS" (toString $c.db.poolRecycleSeconds)
  "COMMERCE_MIGRATIONS__CONCURRENCY" (toString $c.migrations.concurrency)
  "COMMERCE_MAIL__PORT" (toString $c.mail.port)
  "COMMERCE_MAIL__STARTTLS" (toString $c.mail.starttls)
  "COMMERCE_MAIL__SSL_TLS" (toString $c.mail.sslTls)
  "COMMERCE_SENTRY__TRACES_SAMPLE_RATE" (toString $c.sentry.tracesSampleRate)
}}
{{- if ne (toString $c.db.prepareThreshold) "" }}{{ $_ := set $data "COMMERCE_DB__PREPARE_THRESHOLD" (toString $c.db.prepareThreshold) }}{{ end }}
{{- with $c.mail.host }}{{ $_ := set $data "COMMERCE_MAIL__HOST" . }}{{ end }}
{{- with $c.mail.username }}{{ $_ := set $data "COMMERCE_MAIL__USERNAME" . }}{{ end }}
{{- with $c.mail.fromEmail }}{{ $_ := set $data "COMMERCE_MAIL__FROM_EMAIL" . }}{{ end }}
{{- with $c.mail.fromName }}{{ $_ := set $data "COMMERCE_MAIL__FROM_NAME" . }}{{ end }}
{{- with $c.sentry.environment }}{{ $_ := set $data "COMMERCE_SENTRY__ENVIRONMENT" . }}{{ end }}
{{- range $name, $value := $c.env }}{{ $_ := set $data $name (toString $value) }}{{ end }}
{{- range $name, $value := $data }}
{{ $name }}: {{ $value | quote }}
{{- end }}
{{- end }}

{{/* Checksums that roll the pods when their configuration changes. */}}
{{- define "commerce.checksums" -}}
checksum/config: {{ include "commerce.configData" . | sha256sum }}
{{- if not .Values.existingSecret }}
checksum/secret: {{ include "commerce.secretData" . | sha256sum }}
{{- end }}
{{- end }}

{{/*
Container pieces shared by every commerce container.
*/}}
{{- define "commerce.envFrom" -}}
- configMapRef:
    name: {{ include "commerce.fullname" . }}
- secretRef:
    name: {{ include "commerce.secretName" . }}
{{- with .Values.extraEnvFrom }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
extraEnv, then the component's extraEnv: a variable defined in both keeps the component's value, placed
after the global ones (so its $(VAR) references resolve). Call with (dict "root" $ "component" .Values.api).
*/}}
{{- define "commerce.extraEnv" -}}
{{- $byName := dict }}
{{- $names := list }}
{{- range concat (.root.Values.extraEnv | default list) (.component.extraEnv | default list) }}
{{- $names = append (without $names .name) .name }}
{{- $_ := set $byName .name . }}
{{- end }}
{{- range $names }}
{{- toYaml (list (get $byName .)) | nindent 0 }}
{{- end }}
{{- end }}

{{- define "commerce.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /var/lib/commerce
{{- end }}

{{- define "commerce.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
- name: data
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}

{{/*
Pod-level settings shared by every pod. Call with (dict "root" $ "component" .Values.api).
*/}}
{{- define "commerce.podSpecCommon" -}}
{{- $root := .root }}
{{- $c := .component }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with ($c.nodeSelector | default $root.Values.nodeSelector) }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with ($c.affinity | default $root.Values.affinity) }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with ($c.tolerations | default $root.Values.tolerations) }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with ($c.topologySpreadConstraints | default $root.Values.topologySpreadConstraints) }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Pod template metadata. Call with (dict "root" $ "name" "api" "component" .Values.api). */}}
{{- define "commerce.podMetadata" -}}
{{- $annotations := merge (dict) ($.component.podAnnotations | default (dict)) ($.root.Values.podAnnotations | default (dict)) }}
metadata:
  annotations:
    {{- include "commerce.checksums" .root | nindent 4 }}
    {{- with $annotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  labels:
    {{- include "commerce.labels" (dict "root" .root "component" .name) | nindent 4 }}
    {{- with .root.Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- with .component.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}

{{/* A probe from its timing values. Call with (dict "probe" .Values.api.livenessProbe "handler" (dict ...)). */}}
{{- define "commerce.probe" -}}
{{- toYaml .handler }}
initialDelaySeconds: {{ .probe.initialDelaySeconds }}
periodSeconds: {{ .probe.periodSeconds }}
timeoutSeconds: {{ .probe.timeoutSeconds }}
failureThreshold: {{ .probe.failureThreshold }}
{{- end }}

{{/* An autoscaling/v2 HorizontalPodAutoscaler. Call with (dict "root" $ "name" "api" "component" .Values.api). */}}
{{- define "commerce.hpa" -}}
{{- $a := .component.autoscaling }}
{{- if lt (int $a.maxReplicas) (int $a.minReplicas) }}
{{- fail (printf "%s.autoscaling.maxReplicas (%v) must be >= minReplicas (%v)" .name $a.maxReplicas $a.minReplicas) }}
{{- end }}
{{- if not (or $a.metrics $a.targetCPUUtilizationPercentage $a.targetMemoryUtilizationPercentage) }}
{{- fail (printf "%s.autoscaling needs targetCPUUtilizationPercentage, targetMemoryUtilizationPercentage or metrics" .name) }}
{{- end }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "commerce.fullname" .root }}-{{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "commerce.labels" (dict "root" .root "component" .name) | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "commerce.fullname" .root }}-{{ .name }}
  minReplicas: {{ $a.minReplicas }}
  maxReplicas: {{ $a.maxReplicas }}
  metrics:
    {{- if $a.metrics }}
    {{- toYaml $a.metrics | nindent 4 }}
    {{- else }}
    {{- with $a.targetCPUUtilizationPercentage }}
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
    {{- with $a.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
    {{- end }}
  {{- with $a.behavior }}
  behavior:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* A policy/v1 PodDisruptionBudget. Call with (dict "root" $ "name" "api" "component" .Values.api). */}}
{{- define "commerce.pdb" -}}
{{- $p := .component.podDisruptionBudget }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "commerce.fullname" .root }}-{{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "commerce.labels" (dict "root" .root "component" .name) | nindent 4 }}
spec:
  {{- if not (kindIs "invalid" $p.minAvailable) }}
  minAvailable: {{ $p.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $p.maxUnavailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "commerce.selectorLabels" (dict "root" .root "component" .name) | nindent 6 }}
{{- end }}

{{/*
Guards that JSON Schema cannot express (they need two values at once).
*/}}
{{- define "commerce.validate" -}}
{{- if .Values.existingSecret }}
{{- $set := list }}
{{- range $key, $value := .Values.secret }}
{{- if and $value (ne $key "generatedSecretKey") }}{{ $set = append $set $key }}{{ end }}
{{- end }}
{{- if $set }}
{{- fail (printf "existingSecret is set: leave secret.* empty (set: %s) and put those keys in the Secret %q" (join ", " $set) .Values.existingSecret) }}
{{- end }}
{{- else if and .Values.flower.enabled (not .Values.secret.flowerBasicAuth) }}
{{- fail "flower.enabled needs secret.flowerBasicAuth (\"user:password\") or an existingSecret with COMMERCE_CELERY__FLOWER_BASIC_AUTH" }}
{{- end }}
{{- if and .Values.worker.livenessProbe.enabled (not .Values.worker.metrics.enabled) .Values.worker.enabled }}
{{- fail "worker.livenessProbe probes the metrics port: disable it too when worker.metrics.enabled is false" }}
{{- end }}
{{- if and .Values.serviceMonitor.enabled (not .Values.worker.metrics.enabled) .Values.worker.enabled }}
{{- fail "serviceMonitor.enabled scrapes the worker's metrics port: enable worker.metrics (or disable the worker)" }}
{{- end }}
{{- if and .Values.config.mail.starttls .Values.config.mail.sslTls }}
{{- fail "config.mail.starttls and config.mail.sslTls are exclusive: set one of the two" }}
{{- end }}
{{- end }}
