{{/* The chart name (app.kubernetes.io/name). */}}
{{- define "signet.name" -}}
{{- .Values.nameOverride | default "signet" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name of the release's resources: <release>-signet unless fullnameOverride. */}}
{{- define "signet.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "signet.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "signet.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "signet.selector" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: signet
{{- end -}}

{{- define "signet.selector" -}}
app.kubernetes.io/name: {{ include "signet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "signet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "signet.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* repository:tag, or repository@digest when a digest is given. Argument: an image values object and the chart. */}}
{{- define "signet.imageRef" -}}
{{- $image := index . 0 -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository ($image.tag | default (index . 1).Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/* The Service's DNS name as Gatekeeper calls it: <service>.<namespace> (the Providers' URLs). */}}
{{- define "signet.serviceHost" -}}
{{- printf "%s.%s" (include "signet.fullname" .) .Release.Namespace -}}
{{- end -}}

{{/* Where the serving certificate comes from: certManager, existingSecret or generated. */}}
{{- define "signet.tlsMode" -}}
{{- if .Values.certManager.enabled -}}certManager
{{- else if .Values.tls.existingSecret -}}existingSecret
{{- else -}}generated
{{- end -}}
{{- end -}}

{{/* The Secret holding tls.crt / tls.key that signet serves with. */}}
{{- define "signet.tlsSecretName" -}}
{{- if eq (include "signet.tlsMode" .) "existingSecret" -}}
{{- .Values.tls.existingSecret -}}
{{- else -}}
{{- printf "%s-tls" (include "signet.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* The chart's own CA (generated mode: in <fullname>-tls; certManager mode without issuerRef: in <fullname>-ca). */}}
{{- define "signet.caSecretName" -}}
{{- if eq (include "signet.tlsMode" .) "certManager" -}}
{{- printf "%s-ca" (include "signet.fullname" .) -}}
{{- else -}}
{{- include "signet.tlsSecretName" . -}}
{{- end -}}
{{- end -}}

{{/* Does the chart hold a CA of its own (generated mode, or cert-manager with the chart's CA Issuer)? */}}
{{- define "signet.hasChartCA" -}}
{{- $mode := include "signet.tlsMode" . -}}
{{- if or (eq $mode "generated") (and (eq $mode "certManager") (empty .Values.certManager.issuerRef)) -}}true{{- end -}}
{{- end -}}

{{/*
The chart's CA and (generated mode) serving certificate, computed once per render and shared by every template
(memoized in .Values.__signetTLS): reused from the Secret already in the cluster (lookup) unless tls.regenerate
was just turned on or the Secret is missing or incomplete. Fields: caCert, caKey (PEM), cert, key (generated mode), bundle (PEM of the
CA(s) the Providers trust: the current one, plus the replaced one on a regeneration so pods that still serve the
old certificate stay trusted until they reload).
*/}}
{{- define "signet.chartTLS" -}}
{{- if not (hasKey .Values "__signetTLS") -}}
{{- $mode := include "signet.tlsMode" . -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "signet.caSecretName" .) -}}
{{- $data := dict -}}
{{- if and $existing (hasKey $existing "data") -}}{{- $data = $existing.data | default dict -}}{{- end -}}
{{- $complete := and (hasKey $data "ca.crt") (hasKey $data "tls.crt") (hasKey $data "tls.key") -}}
{{- if eq $mode "certManager" -}}
{{- /* The CA Secret: tls.crt/tls.key are the CA itself. */ -}}
{{- $complete = and (hasKey $data "tls.crt") (hasKey $data "tls.key") -}}
{{- end -}}
{{- /* tls.regenerate acts on its false → true edge only: the Secret records the value it was rendered with, so an
upgrade that reuses regenerate=true (helm upgrade without values reuses them) does not rotate again. */ -}}
{{- $recorded := "" -}}
{{- if $existing -}}{{- $recorded = index ($existing.metadata.annotations | default dict) "signet.dev/tls-regenerate" | default "" -}}{{- end -}}
{{- /* cert-manager mode: the CA is long-lived; cert-manager renews the serving certificate itself. */ -}}
{{- $rotate := and (eq $mode "generated") .Values.tls.regenerate (ne $recorded "true") -}}
{{- $state := dict -}}
{{- if and $complete (not $rotate) -}}
{{- if eq $mode "certManager" -}}
{{- $_ := set $state "caCert" (index $data "tls.crt" | b64dec) -}}
{{- $_ := set $state "caKey" (index $data "tls.key" | b64dec) -}}
{{- else -}}
{{- $_ := set $state "caCert" (index $data "ca.crt" | b64dec) -}}
{{- $_ := set $state "cert" (index $data "tls.crt" | b64dec) -}}
{{- $_ := set $state "key" (index $data "tls.key" | b64dec) -}}
{{- end -}}
{{- $_ := set $state "bundle" $state.caCert -}}
{{- else -}}
{{- $fullname := include "signet.fullname" . -}}
{{- $ca := genCA (printf "%s-ca" $fullname) (int .Values.tls.caValidityDays) -}}
{{- $_ := set $state "caCert" $ca.Cert -}}
{{- $_ := set $state "caKey" $ca.Key -}}
{{- if eq $mode "generated" -}}
{{- $service := $fullname -}}
{{- $ns := .Release.Namespace -}}
{{- $names := list $service (printf "%s.%s" $service $ns) (printf "%s.%s.svc" $service $ns) (printf "%s.%s.svc.%s" $service $ns .Values.clusterDomain) -}}
{{- $cert := genSignedCert (printf "%s.%s.svc" $service $ns) nil $names (int .Values.tls.certValidityDays) $ca -}}
{{- $_ := set $state "cert" $cert.Cert -}}
{{- $_ := set $state "key" $cert.Key -}}
{{- end -}}
{{- $bundle := $ca.Cert -}}
{{- $previous := "" -}}
{{- if and (eq $mode "generated") (hasKey $data "ca.crt") -}}{{- $previous = index $data "ca.crt" | b64dec -}}{{- end -}}
{{- if and (eq $mode "certManager") (hasKey $data "tls.crt") -}}{{- $previous = index $data "tls.crt" | b64dec -}}{{- end -}}
{{- if $previous -}}{{- $bundle = printf "%s\n%s" (trimSuffix "\n" $ca.Cert) $previous -}}{{- end -}}
{{- $_ := set $state "bundle" $bundle -}}
{{- end -}}
{{- $_ := set .Values "__signetTLS" $state -}}
{{- end -}}
{{- end -}}

{{/* Base64 PEM for the Providers' spec.caBundle. */}}
{{- define "signet.caBundle" -}}
{{- if .Values.tls.caBundle -}}
{{- .Values.tls.caBundle -}}
{{- else if include "signet.hasChartCA" . -}}
{{- include "signet.chartTLS" . -}}
{{- .Values.__signetTLS.bundle | b64enc -}}
{{- else -}}
{{- fail "tls.caBundle (base64 PEM of the CA that issues signet's serving certificate) is required with tls.existingSecret or certManager.issuerRef" -}}
{{- end -}}
{{- end -}}

{{/* Mount a service account token? Explicit value, else only for configSource kubernetes. */}}
{{- define "signet.automountToken" -}}
{{- if kindIs "bool" .Values.automountServiceAccountToken -}}
{{- .Values.automountServiceAccountToken -}}
{{- else -}}
{{- eq .Values.configSource "kubernetes" -}}
{{- end -}}
{{- end -}}

{{/* Names of the seeded inline KeyManagementProviders. */}}
{{- define "signet.notationCertName" -}}{{ include "signet.fullname" (index . 0) }}-notation-inline-cert-{{ index . 1 }}{{- end -}}
{{- define "signet.cosignKeyName" -}}{{ include "signet.fullname" (index . 0) }}-cosign-inline-key-{{ index . 1 }}{{- end -}}

{{- define "signet.seedNotation" -}}
{{- if and .Values.notation.enabled (or .Values.notationCerts .Values.notation.verificationCertStores) -}}true{{- end -}}
{{- end -}}

{{- define "signet.cosignKeyless" -}}
{{- $k := .Values.cosign.keyless -}}
{{- if or $k.certificateIdentity $k.certificateIdentityRegExp $k.certificateOIDCIssuer $k.certificateOIDCIssuerRegExp -}}true{{- end -}}
{{- end -}}

{{- define "signet.seedCosign" -}}
{{- if and .Values.cosign.enabled (or .Values.cosignKeys (include "signet.cosignKeyless" .)) -}}true{{- end -}}
{{- end -}}

{{- define "signet.seeds" -}}
{{- if or (include "signet.seedNotation" .) (include "signet.seedCosign" .) -}}true{{- end -}}
{{- end -}}

{{/* Path of the cosign trusted root in the container (cosign.trustedRoot). */}}
{{- define "signet.trustedRootPath" -}}/etc/signet/cosign/trusted_root.json{{- end -}}

{{/*
The Ratify resources seeded from values (multi-document YAML, each document starting with ---), as Ratify's chart
creates them: inline KeyManagementProviders for notationCerts and cosignKeys, the notation and cosign Verifiers,
the oras Store and the Policy. Empty when nothing is seeded.
*/}}
{{- define "signet.seedResources" -}}
{{- if include "signet.seeds" . -}}
{{- $root := . -}}
{{- /* Custom resources carry the chart's labels; the config file keeps to the resources themselves. */ -}}
{{- $labels := eq .Values.configSource "kubernetes" -}}
{{- range $i, $cert := .Values.notationCerts }}
---
apiVersion: config.ratify.deislabs.io/v1beta1
kind: KeyManagementProvider
metadata:
  name: {{ include "signet.notationCertName" (list $root $i) }}
  {{- if $labels }}
  labels: {{- include "signet.labels" $root | nindent 4 }}
  {{- end }}
spec:
  type: inline
  parameters:
    contentType: certificate
    value: {{ $cert | quote }}
{{- end }}
{{- range $i, $key := .Values.cosignKeys }}
---
apiVersion: config.ratify.deislabs.io/v1beta1
kind: KeyManagementProvider
metadata:
  name: {{ include "signet.cosignKeyName" (list $root $i) }}
  {{- if $labels }}
  labels: {{- include "signet.labels" $root | nindent 4 }}
  {{- end }}
spec:
  type: inline
  parameters:
    contentType: key
    value: {{ $key | quote }}
{{- end }}
---
apiVersion: config.ratify.deislabs.io/v1beta1
kind: Store
metadata:
  name: store-oras
  {{- if $labels }}
  labels: {{- include "signet.labels" . | nindent 4 }}
  {{- end }}
spec:
  name: oras
  parameters:
    {{- if .Values.oras.useHttp }}
    useHttp: true
    {{- end }}
    {{- if include "signet.seedCosign" . }}
    cosignEnabled: true
    {{- end }}
    {{- if .Values.oras.authProvider }}
    authProvider: {{- toYaml .Values.oras.authProvider | nindent 6 }}
    {{- else if .Values.azureWorkloadIdentity.enabled }}
    authProvider:
      name: azureWorkloadIdentity
      clientID: {{ .Values.azureWorkloadIdentity.clientId | quote }}
    {{- end }}
{{- if include "signet.seedNotation" . }}
---
apiVersion: config.ratify.deislabs.io/v1beta1
kind: Verifier
metadata:
  name: verifier-notation
  {{- if $labels }}
  labels: {{- include "signet.labels" . | nindent 4 }}
  {{- end }}
spec:
  name: notation
  artifactTypes: application/vnd.cncf.notary.signature
  parameters:
    verificationCertStores:
      {{- if .Values.notation.verificationCertStores }}
      {{- toYaml .Values.notation.verificationCertStores | nindent 6 }}
      {{- else }}
      certs:
        {{- range $i, $_ := .Values.notationCerts }}
        - {{ include "signet.notationCertName" (list $root $i) }}
        {{- end }}
      {{- end }}
    trustPolicyDoc:
      version: "1.0"
      trustPolicies:
        {{- range .Values.notation.trustPolicies }}
        - name: {{ .name | quote }}
          registryScopes: {{- toYaml .registryScopes | nindent 12 }}
          signatureVerification: {{- toYaml .signatureVerification | nindent 12 }}
          trustStores:
            {{- range .trustStores }}
            {{- if kindIs "map" . }}
            {{- range $type, $store := . }}
            - {{ printf "%s:%s" $type $store | quote }}
            {{- end }}
            {{- else }}
            - {{ . | quote }}
            {{- end }}
            {{- end }}
          trustedIdentities: {{- toYaml .trustedIdentities | nindent 12 }}
        {{- end }}
{{- end }}
{{- if include "signet.seedCosign" . }}
---
apiVersion: config.ratify.deislabs.io/v1beta1
kind: Verifier
metadata:
  name: verifier-cosign
  {{- if $labels }}
  labels: {{- include "signet.labels" . | nindent 4 }}
  {{- end }}
spec:
  name: cosign
  artifactTypes: {{ .Values.cosign.artifactTypes | quote }}
  parameters:
    trustPolicies:
      - name: default
        version: 1.0.0
        scopes: {{- toYaml .Values.cosign.scopes | nindent 10 }}
        {{- if .Values.cosignKeys }}
        keys:
          {{- range $i, $_ := .Values.cosignKeys }}
          - provider: {{ include "signet.cosignKeyName" (list $root $i) }}
          {{- end }}
        {{- end }}
        tLogVerify: {{ .Values.cosign.tLogVerify }}
        {{- if .Values.cosign.rekorURL }}
        rekorURL: {{ .Values.cosign.rekorURL | quote }}
        {{- end }}
        {{- if .Values.cosign.trustedRoot }}
        trustedRootPath: {{ include "signet.trustedRootPath" . }}
        {{- end }}
        {{- if include "signet.cosignKeyless" . }}
        {{- $k := .Values.cosign.keyless }}
        keyless:
          ctLogVerify: {{ $k.ctLogVerify }}
          {{- range $field := list "certificateIdentity" "certificateIdentityRegExp" "certificateOIDCIssuer" "certificateOIDCIssuerRegExp" }}
          {{- if index $k $field }}
          {{ $field }}: {{ index $k $field | quote }}
          {{- end }}
          {{- end }}
          {{- if $.Values.cosign.trustedRoot }}
          trustedRootPath: {{ include "signet.trustedRootPath" $ }}
          {{- end }}
        {{- end }}
{{- end }}
---
apiVersion: config.ratify.deislabs.io/v1beta1
kind: Policy
metadata:
  name: ratify-policy
  {{- if $labels }}
  labels: {{- include "signet.labels" . | nindent 4 }}
  {{- end }}
spec:
  type: config-policy
  parameters:
    artifactVerificationPolicies: {{- toYaml .Values.policy.artifactVerificationPolicies | nindent 6 }}
    {{- if .Values.policy.passthroughEnabled }}
    passthroughEnabled: true
    {{- end }}
{{- end -}}
{{- end -}}

{{/* Does signet read a config file (seeded resources and/or `config`)? */}}
{{- define "signet.hasConfigFile" -}}
{{- if and (ne .Values.configSource "kubernetes") (or (include "signet.seeds" .) .Values.config) -}}true{{- end -}}
{{- end -}}
