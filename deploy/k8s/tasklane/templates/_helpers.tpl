{{/* Names and labels. */}}
{{- define "tasklane.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tasklane.fullname" -}}
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

{{- define "tasklane.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "tasklane.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tasklane
{{- end -}}

{{/* Selector labels of the app pods (component=api keeps them apart from the in-cluster services). */}}
{{- define "tasklane.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tasklane.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: api
{{- end -}}

{{- define "tasklane.depSelector" -}}
app.kubernetes.io/name: {{ include "tasklane.name" $.root }}
app.kubernetes.io/instance: {{ $.root.Release.Name }}
app.kubernetes.io/component: {{ $.component }}
{{- end -}}

{{- define "tasklane.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tasklane.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "tasklane.image" -}}
{{- $repo := required "image.repository is required: the registry path of the image built from deploy/Dockerfile (e.g. --set image.repository=ghcr.io/<you>/tasklane)" .Values.image.repository -}}
{{- printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Where things are. */}}
{{- define "tasklane.postgresHost" -}}{{ include "tasklane.fullname" . }}-postgresql{{- end -}}
{{- define "tasklane.redisHost" -}}
{{- if .Values.redis.inCluster.enabled -}}
{{- printf "%s-redis:6379" (include "tasklane.fullname" .) -}}
{{- else -}}
{{- required "redis.host is required when redis.inCluster.enabled is false (host:port)" .Values.redis.host -}}
{{- end -}}
{{- end -}}

{{- define "tasklane.kafkaBrokers" -}}
{{- if .Values.kafka.inCluster.enabled -}}
{{- printf "%s-kafka:9092" (include "tasklane.fullname" .) -}}
{{- else -}}
{{- required "kafka.brokers is required when kafka.inCluster.enabled is false (comma-separated host:port bootstrap servers, e.g. your Redpanda Cloud bootstrap URL)" .Values.kafka.brokers -}}
{{- end -}}
{{- end -}}

{{/* Dapr's pubsub.kafka spells the SCRAM mechanisms SHA-256 / SHA-512 (anything else = PLAIN). */}}
{{- define "tasklane.daprSaslMechanism" -}}
{{- $m := lower .Values.kafka.sasl.mechanism -}}
{{- if eq $m "scram-sha-256" -}}SHA-256{{- else if eq $m "scram-sha-512" -}}SHA-512{{- else -}}PLAINTEXT{{- end -}}
{{- end -}}

{{- define "tasklane.secretRef" -}}
valueFrom:
  secretKeyRef:
    name: {{ $.root.Values.secrets.existingSecret }}
    key: {{ $.key }}
{{- end -}}

{{/* Combinations that would deploy something broken are refused at render time. */}}
{{- define "tasklane.validate" -}}
{{- if and .Values.kafka.inCluster.enabled .Values.kafka.sasl.enabled -}}
{{- fail "kafka.sasl.enabled needs an external Kafka: the in-cluster broker (kafka.inCluster.enabled) has no SASL listener" -}}
{{- end -}}
{{- if and .Values.kafka.inCluster.enabled .Values.kafka.tls -}}
{{- fail "kafka.tls needs an external Kafka: the in-cluster broker (kafka.inCluster.enabled) has no TLS listener" -}}
{{- end -}}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" -}}
{{- end -}}
{{- if and .Values.redis.inCluster.enabled .Values.redis.enableTLS -}}
{{- fail "redis.enableTLS needs an external Redis: the in-cluster Redis has no TLS listener" -}}
{{- end -}}
{{- end -}}
