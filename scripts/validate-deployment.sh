#!/usr/bin/env bash
# Checks a Llama Stack LLMInferenceService end to end. See --help.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<'TXT'
Usage: scripts/validate-deployment.sh [PROVIDER] [NAMESPACE]

Checks the LLMInferenceService <PROVIDER>-llamastack (default gemini) in NAMESPACE (default
llm): it exists and is Ready; its pods (app.kubernetes.io/name=<name>) are Running and ready;
Llama Stack answers /v1/health through the workload Service <name>-kserve-workload-svc on
port 8000; and its model is listed by MaaS model discovery for a token.

Environment: LLAMASTACK_URL skips the port-forward and checks <url>/v1/health directly;
LLAMASTACK_NAME overrides the service name; the MaaS settings of scripts/lib/common.sh
(MAAS_HOST, MAAS_TOKEN, ...).

Exit codes: 0 every check passed, 1 a check failed, 2 usage, 3 a tool is missing.
Needs kubectl, curl and jq.
TXT
}

case "${1:-}" in -h | --help) usage; exit 0 ;; -*) usage >&2; exit "$EXIT_USAGE" ;; esac
[[ $# -le 2 ]] || { usage >&2; exit "$EXIT_USAGE"; }
provider=${1:-gemini}
namespace=${2:-llm}
name=${LLAMASTACK_NAME:-$provider-llamastack}
require_tools kubectl curl jq

failures=0
echo "Validating LLMInferenceService $namespace/$name"

# 1. The service exists and is Ready.
if ! svc=$(kubectl -n "$namespace" get llminferenceservice "$name" -o json 2>/dev/null); then
  fail "LLMInferenceService $namespace/$name not found: deploy it with kustomize build --enable-alpha-plugins --enable-exec"
  exit "$EXIT_FAILED"
fi
ok "LLMInferenceService exists"
model=$(jq -r '.spec.model.name // empty' <<<"$svc")
ready=$(jq -r '.status.conditions // [] | map(select(.type == "Ready")) | .[0] // {} | .status // "Unknown"' <<<"$svc")
if [[ "$ready" == True ]]; then
  ok "Ready"
else
  reason=$(jq -r '.status.conditions // [] | map(select(.type == "Ready")) | .[0] // {} | "\(.reason // "no reason"): \(.message // "no message")"' <<<"$svc")
  fail "not Ready ($ready, $reason)"
  failures=$((failures + 1))
fi

# 2. Its pods run. KServe does not copy the CR's labels to pods; it labels them with the name.
pods=$(kubectl -n "$namespace" get pods -l "app.kubernetes.io/name=$name" -o json)
total=$(jq '.items | length' <<<"$pods")
running=$(jq '[.items[] | select(.status.phase == "Running" and ((.status.conditions // []) | any(.type == "Ready" and .status == "True")))] | length' <<<"$pods")
if [[ "$total" -gt 0 && "$running" -eq "$total" ]]; then
  ok "$running/$total pods Running and ready"
else
  fail "$running/$total pods Running and ready (kubectl -n $namespace describe pods -l app.kubernetes.io/name=$name)"
  failures=$((failures + 1))
fi

# 3. Llama Stack answers its health endpoint through the workload Service.
health_url=${LLAMASTACK_URL:-}
pf_pid=
if [[ -z "$health_url" ]]; then
  port=${LOCAL_PORT:-18000}
  kubectl -n "$namespace" port-forward "svc/$name-kserve-workload-svc" "$port:8000" >/dev/null 2>&1 &
  pf_pid=$!
  trap '[[ -n "$pf_pid" ]] && kill "$pf_pid" 2>/dev/null || true' EXIT
  sleep 2
  health_url=https://127.0.0.1:$port
fi
# The workload serves KServe's self-signed certificate: reachability, not trust, is checked here.
if health=$(curl --silent --show-error --insecure --max-time 10 "$health_url/v1/health" 2>&1) && jq -e . >/dev/null 2>&1 <<<"$health"; then
  ok "/v1/health: $(jq -c . <<<"$health")"
else
  fail "/v1/health did not answer through $name-kserve-workload-svc:8000 ($health)"
  failures=$((failures + 1))
fi

# 4. MaaS lists the model.
host=$(maas_host)
token=$(maas_token "$host")
response=$(maas_curl "$host" /maas-api/v1/models -H "Authorization: Bearer $token") || { fail "cannot reach MaaS at https://$host"; exit "$EXIT_FAILED"; }
status=${response##*$'\n'}
body=${response%$'\n'*}
if [[ "$status" == 200 ]] && jq -e --arg m "$model" '(.data // []) | any(.id == $m)' >/dev/null <<<"$body"; then
  ok "MaaS at $host lists $model"
else
  fail "MaaS at $host does not list $model (HTTP $status): check the tiers annotation, or the MaaSModelRef, MaaSAuthPolicy and MaaSSubscription"
  failures=$((failures + 1))
fi

if [[ $failures -gt 0 ]]; then
  echo "$failures check(s) failed"
  exit "$EXIT_FAILED"
fi
echo "All checks passed"
