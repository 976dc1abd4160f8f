{{/* Names, labels and checks shared by every template of the chart. */}}

{{- define "roost.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name, unless the release name already contains the chart's name. */}}
{{- define "roost.fullname" -}}
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

{{- define "roost.selectorLabels" -}}
app.kubernetes.io/name: {{ include "roost.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "roost.labels" -}}
{{ include "roost.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "roost.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "roost.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Replicas: more than one only when a leader is elected among them. */}}
{{- define "roost.replicas" -}}
{{- if .Values.leaderElection.enabled -}}
{{- int .Values.leaderElection.replicaCount -}}
{{- else -}}
1
{{- end -}}
{{- end -}}

{{/* The namespace whose Canaries are watched; empty means every namespace. */}}
{{- define "roost.watchNamespace" -}}
{{- if .Values.rbac.namespaced -}}
{{- default .Release.Namespace .Values.namespace -}}
{{- else -}}
{{- .Values.namespace -}}
{{- end -}}
{{- end -}}

{{- define "roost.notifiersSecret" -}}
{{- printf "%s-notifiers" (include "roost.fullname" .) -}}
{{- end -}}

{{- define "roost.hasNotifierSecret" -}}
{{- if or .Values.slack.url .Values.msteams.url .Values.eventWebhook -}}true{{- end -}}
{{- end -}}

{{- define "roost.ledgerClaim" -}}
{{- $claim := .Values.ledger.sqlite.persistence.existingClaim -}}
{{- default (printf "%s-ledger" (include "roost.fullname" .)) $claim -}}
{{- end -}}

{{/*
Values that cannot work together stop the install with a reason rather than deploying an
operator that would corrupt its ledger or watch what it may not read.
*/}}
{{- define "roost.validate" -}}
{{- $ledger := .Values.ledger.type -}}
{{- if not (has $ledger (list "sqlite" "postgres")) -}}
{{- fail (printf "ledger.type must be sqlite or postgres, not %q" $ledger) -}}
{{- end -}}
{{- if and (eq $ledger "postgres") (not .Values.ledger.postgres.existingSecret) -}}
{{- fail "ledger.type postgres needs ledger.postgres.existingSecret (a Secret holding the URL)" -}}
{{- end -}}
{{- if lt (int .Values.leaderElection.replicaCount) 1 -}}
{{- fail "leaderElection.replicaCount must be at least 1" -}}
{{- end -}}
{{- if and (gt (int .Values.leaderElection.replicaCount) 1) (not .Values.leaderElection.enabled) -}}
{{- fail "leaderElection.replicaCount above 1 needs leaderElection.enabled" -}}
{{- end -}}
{{- if and (gt (int (include "roost.replicas" .)) 1) (eq $ledger "sqlite") -}}
{{- fail "several replicas need ledger.type postgres: a SQLite ledger takes one writer" -}}
{{- end -}}
{{- if and .Values.rbac.namespaced .Values.namespace (ne .Values.namespace .Release.Namespace) -}}
{{- fail "with rbac.namespaced, namespace must be empty or the release namespace" -}}
{{- end -}}
{{- end -}}
