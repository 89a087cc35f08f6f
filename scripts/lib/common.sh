#!/usr/bin/env bash
# Shared by validate-deployment.sh and test-chat-completion.sh: tool checks, MaaS host and
# token discovery, and curl with the caller's TLS settings. Sourced, not run.
#
# Environment (all optional):
#   MAAS_HOST        MaaS gateway host name; else the maas-default-gateway listener's
#                    hostname, else maas.<cluster domain> (OpenShift ingress config)
#   MAAS_PORT        port of the gateway (default 443)
#   MAAS_TOKEN       a MaaS token or API key to use as is
#   CLUSTER_TOKEN    your cluster token, to mint a MaaS key; else `oc whoami -t`, else the
#                    token of kubectl's current user
#   MAAS_CACERT      CA bundle for the gateway's certificate; MAAS_INSECURE=1 skips
#                    verification (testing only)
#   MAAS_RESOLVE     connect to this address for MAAS_HOST (like curl --resolve)
#   GATEWAY_NAME / GATEWAY_NAMESPACE   default maas-default-gateway / openshift-ingress

# Exit codes shared by the scripts (used by the scripts that source this file).
# shellcheck disable=SC2034
readonly EXIT_FAILED=1 EXIT_USAGE=2 EXIT_MISSING_TOOL=3 EXIT_BAD_RESPONSE=4

log() { printf '%s\n' "$*" >&2; }
ok() { printf '  ok    %s\n' "$*"; }
fail() { printf '  FAIL  %s\n' "$*"; }
die() { log "error: $1"; exit "${2:-$EXIT_FAILED}"; }

require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (needed: $*)" "$EXIT_MISSING_TOOL"
  done
}

# maas_host prints the MaaS gateway host: MAAS_HOST, else the gateway listener's hostname,
# else maas.<cluster domain>.
maas_host() {
  if [[ -n "${MAAS_HOST:-}" ]]; then
    printf '%s\n' "$MAAS_HOST"
    return
  fi
  local host
  host=$(kubectl -n "${GATEWAY_NAMESPACE:-openshift-ingress}" get gateway "${GATEWAY_NAME:-maas-default-gateway}" \
    -o jsonpath='{.spec.listeners[?(@.hostname)].hostname}' 2>/dev/null | awk '{print $1}') || true
  if [[ -n "$host" && "$host" != \** ]]; then
    printf '%s\n' "$host"
    return
  fi
  local domain
  domain=$(kubectl get ingresses.config.openshift.io cluster -o jsonpath='{.spec.domain}' 2>/dev/null) || true
  [[ -n "$domain" ]] || die "cannot find the MaaS host: set MAAS_HOST (no hostname on gateway ${GATEWAY_NAMESPACE:-openshift-ingress}/${GATEWAY_NAME:-maas-default-gateway}, no OpenShift cluster domain)"
  printf 'maas.%s\n' "$domain"
}

# maas_curl HOST PATH [curl args...]: HTTPS to the gateway with the caller's TLS settings.
# Prints the body, then the HTTP status on its own last line.
maas_curl() {
  local host=$1 path=$2
  shift 2
  local port=${MAAS_PORT:-443}
  local -a tls=()
  [[ -n "${MAAS_CACERT:-}" ]] && tls+=(--cacert "$MAAS_CACERT")
  [[ "${MAAS_INSECURE:-}" == 1 ]] && tls+=(--insecure)
  [[ -n "${MAAS_RESOLVE:-}" ]] && tls+=(--resolve "$host:$port:$MAAS_RESOLVE")
  curl --silent --show-error --max-time "${CURL_TIMEOUT:-60}" "${tls[@]}" \
    --write-out '\n%{http_code}' "https://$host:$port$path" "$@"
}

# cluster_token prints the token that authenticates you to MaaS's API.
cluster_token() {
  if [[ -n "${CLUSTER_TOKEN:-}" ]]; then
    printf '%s\n' "$CLUSTER_TOKEN"
  elif command -v oc >/dev/null 2>&1 && oc whoami -t >/dev/null 2>&1; then
    oc whoami -t
  else
    local token
    token=$(kubectl config view --minify --raw -o jsonpath='{.users[0].user.token}' 2>/dev/null) || true
    [[ -n "$token" ]] || die "no cluster token to ask MaaS for a key: set MAAS_TOKEN or CLUSTER_TOKEN, or log in with oc"
    printf '%s\n' "$token"
  fi
}

# maas_token HOST prints a MaaS token: MAAS_TOKEN, else a new MaaS API key (current MaaS),
# else a legacy MaaS token.
maas_token() {
  local host=$1
  if [[ -n "${MAAS_TOKEN:-}" ]]; then
    printf '%s\n' "$MAAS_TOKEN"
    return
  fi
  local auth response status body
  auth="Authorization: Bearer $(cluster_token)"
  response=$(maas_curl "$host" /maas-api/v1/api-keys -X POST -H "$auth" -H 'Content-Type: application/json' \
    -d '{"name":"llamastack-integration-check","expiration":"1h"}') || die "cannot reach MaaS at https://$host"
  status=${response##*$'\n'}
  body=${response%$'\n'*}
  if [[ "$status" == 200 || "$status" == 201 ]]; then
    jq -er '.key' <<<"$body" || die "MaaS answered api-keys without a .key" "$EXIT_BAD_RESPONSE"
    return
  fi
  log "MaaS API keys unavailable (HTTP $status); trying the legacy token endpoint"
  response=$(maas_curl "$host" /maas-api/v1/tokens -X POST -H "$auth" -H 'Content-Type: application/json' \
    -d '{"expiration":"1h"}') || die "cannot reach MaaS at https://$host"
  status=${response##*$'\n'}
  body=${response%$'\n'*}
  [[ "$status" == 200 || "$status" == 201 ]] || die "MaaS refused a token (HTTP $status): check that you are logged in to the cluster and allowed to use MaaS"
  jq -er '.token' <<<"$body" || die "MaaS answered tokens without a .token" "$EXIT_BAD_RESPONSE"
}
