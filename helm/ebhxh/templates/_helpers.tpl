{{/* Names, labels and the pieces every pod of the chart shares. */}}

{{- define "ebhxh.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ebhxh.fullname" -}}
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

{{- define "ebhxh.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "ebhxh.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: call with (dict "ctx" $ "component" "api"). */}}
{{- define "ebhxh.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ebhxh.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "ebhxh.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ebhxh.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "ebhxh.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "ebhxh.secretName" -}}
{{- default (include "ebhxh.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "ebhxh.sandboxUrl" -}}
{{- printf "http://%s-sandbox:%d" (include "ebhxh.fullname" .) (int .Values.sandbox.port) -}}
{{- end -}}

{{/* The worker's grace period: derived from the job timeout, or checked against it. */}}
{{- define "ebhxh.workerGracePeriod" -}}
{{- $timeout := int .Values.config.jobTimeoutSeconds -}}
{{- if kindIs "invalid" .Values.worker.terminationGracePeriodSeconds -}}
{{- add $timeout 15 -}}
{{- else -}}
{{- $grace := int .Values.worker.terminationGracePeriodSeconds -}}
{{- if lt $grace $timeout -}}
{{- fail (printf "worker.terminationGracePeriodSeconds (%d) must be at least config.jobTimeoutSeconds (%d): a worker stopped mid-job is killed before the job can finish" $grace $timeout) -}}
{{- end -}}
{{- $grace -}}
{{- end -}}
{{- end -}}

{{/* The ConfigMap's data (also the migration hook's copy). */}}
{{- define "ebhxh.configData" -}}
{{- if le (int .Values.config.outboxLeaseSeconds) (int .Values.config.jobTimeoutSeconds) -}}
{{- fail "config.outboxLeaseSeconds must exceed config.jobTimeoutSeconds: a slow job would be handed to a second worker" -}}
{{- end -}}
{{- $pods := int .Values.worker.replicas -}}
{{- if .Values.worker.autoscaling.enabled }}{{ $pods = int .Values.worker.autoscaling.maxReplicas }}{{ end -}}
{{- $jobs := int .Values.config.workerMaxJobs -}}
{{- $slots := mul $pods $jobs -}}
{{- $read := int .Values.config.workerQueueRead -}}
{{- if eq $read 0 }}{{ $read = max (mul 5 $jobs) 100 }}{{ end -}}
{{- if lt $read $slots -}}
{{- fail (printf "config.workerQueueRead (%d) must be at least the worker pods times config.workerMaxJobs (%d): running jobs stay in the queue, so the pods could not fill their slots" $read $slots) -}}
{{- end -}}
{{- $devIdp := hasKey .Values.config.extra "EBHXH_DEV_IDP" -}}
{{- range concat .Values.api.extraEnv .Values.worker.extraEnv -}}
{{- if eq .name "EBHXH_DEV_IDP" }}{{ $devIdp = true }}{{ end -}}
{{- end -}}
{{- if $devIdp -}}
{{- fail "EBHXH_DEV_IDP cannot be set: the development identity provider (demo users with a published password) never runs from this chart" -}}
{{- end }}
EBHXH_DEV_IDP: "false"
EBHXH_LOG_LEVEL: {{ .Values.config.logLevel | quote }}
EBHXH_LOG_JSON: {{ .Values.config.logJson | quote }}
EBHXH_QUEUE_NAME: {{ .Values.config.queueName | quote }}
EBHXH_JOB_TIMEOUT_SECONDS: {{ .Values.config.jobTimeoutSeconds | quote }}
EBHXH_OUTBOX_LEASE_SECONDS: {{ .Values.config.outboxLeaseSeconds | quote }}
EBHXH_WORKER_MAX_JOBS: {{ .Values.config.workerMaxJobs | quote }}
EBHXH_WORKER_QUEUE_READ: {{ .Values.config.workerQueueRead | quote }}
EBHXH_SHUTDOWN_GRACE_SECONDS: {{ .Values.config.shutdownGraceSeconds | quote }}
EBHXH_HOST: "0.0.0.0"
EBHXH_PORT: {{ .Values.api.port | quote }}
EBHXH_DATA_DIR: "/data"
EBHXH_SMTP_HOST: {{ .Values.config.smtpHost | quote }}
EBHXH_SMTP_PORT: {{ .Values.config.smtpPort | quote }}
EBHXH_METRICS_NETWORKS: {{ join "," .Values.config.metricsNetworks | quote }}
{{- if .Values.config.vssUrl }}
EBHXH_VSS_URL: {{ .Values.config.vssUrl | quote }}
{{- else if .Values.sandbox.enabled }}
EBHXH_VSS_URL: {{ include "ebhxh.sandboxUrl" . | quote }}
{{- end }}
{{- with .Values.config.pluginsAllow }}
EBHXH_PLUGINS_ALLOW: {{ join "," . | quote }}
{{- end }}
{{- with .Values.config.hsmModules }}
EBHXH_HSM_MODULES: {{ join "," . | quote }}
{{- end }}
{{- if .Values.trustStore.configMap }}
EBHXH_TRUST_STORE_DIR: "/etc/ebhxh/trust"
{{- end }}
{{- range $name, $value := .Values.config.extra }}
{{ $name }}: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/* The Secret's data (also the migration hook's copy). */}}
{{- define "ebhxh.secretData" -}}
EBHXH_DATABASE_URL: {{ required "secrets.databaseUrl (or secrets.existingSecret)" .Values.secrets.databaseUrl | b64enc | quote }}
EBHXH_REDIS_URL: {{ required "secrets.redisUrl (or secrets.existingSecret)" .Values.secrets.redisUrl | b64enc | quote }}
{{- with .Values.secrets.secretKeys }}
EBHXH_SECRET_KEYS: {{ . | b64enc | quote }}
{{- end }}
{{- end -}}

{{/* Rolls the pods when configuration changes. */}}
{{- define "ebhxh.checksums" -}}
checksum/config: {{ include "ebhxh.configData" . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secret: {{ include "ebhxh.secretData" . | sha256sum }}
{{- end }}
{{- end -}}

{{/* envFrom of an app container: call with (dict "ctx" $ "suffix" "" or "-migrate"). */}}
{{- define "ebhxh.envFrom" -}}
- configMapRef:
    name: {{ include "ebhxh.fullname" .ctx }}{{ .suffix }}
- secretRef:
    name: {{ if .ctx.Values.secrets.existingSecret }}{{ .ctx.Values.secrets.existingSecret }}{{ else }}{{ include "ebhxh.fullname" .ctx }}{{ .suffix }}{{ end }}
{{- end -}}

{{- define "ebhxh.podSecurity" -}}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
serviceAccountName: {{ include "ebhxh.serviceAccountName" . }}
{{ include "ebhxh.podCommon" . }}
{{- end -}}

{{- /*
The migrations hook runs before the release's own ServiceAccount exists on a first install,
so it takes the chart's account only when that account is not made by the chart.
*/}}
{{- define "ebhxh.hookPodSecurity" -}}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- if not .Values.serviceAccount.create }}
serviceAccountName: {{ include "ebhxh.serviceAccountName" . }}
{{- end }}
{{ include "ebhxh.podCommon" . }}
{{- end -}}

{{- define "ebhxh.podCommon" -}}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* What every app container shares: image, security, scratch mounts. */}}
{{- define "ebhxh.containerBase" -}}
image: {{ include "ebhxh.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.containerSecurityContext | nindent 2 }}
{{- end -}}

{{- define "ebhxh.scratchMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /data
{{- if .Values.trustStore.configMap }}
- name: trust
  mountPath: /etc/ebhxh/trust
  readOnly: true
{{- end }}
{{- end -}}

{{- define "ebhxh.scratchVolumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.scratch.tmpSizeLimit }}
- name: data
  emptyDir:
    sizeLimit: {{ .Values.scratch.dataSizeLimit }}
{{- if .Values.trustStore.configMap }}
- name: trust
  configMap:
    name: {{ .Values.trustStore.configMap }}
{{- end }}
{{- end -}}

{{/* The init container that holds an app pod until the schema is current. */}}
{{- define "ebhxh.waitForSchema" -}}
{{- if .Values.migrations.enabled }}
initContainers:
  - name: wait-for-schema
    {{- include "ebhxh.containerBase" . | nindent 4 }}
    args: ["migrate", "--wait", {{ .Values.migrations.waitSeconds | quote }}]
    envFrom:
      {{- include "ebhxh.envFrom" (dict "ctx" . "suffix" "") | nindent 6 }}
    volumeMounts:
      {{- include "ebhxh.scratchMounts" . | nindent 6 }}
    resources:
      {{- toYaml .Values.migrations.resources | nindent 6 }}
{{- end }}
{{- end -}}

{{/* Where a component's pods may run: call with its values (.Values.api, .Values.worker). */}}
{{- define "ebhxh.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
