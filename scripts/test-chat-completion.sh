#!/usr/bin/env bash
# Sends one chat completion through the MaaS gateway. See --help.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

declare -A default_model=([gemini]=gemini-2.0-flash [openai]=gpt-4o [anthropic]=claude-3-5-sonnet-20241022)

usage() {
  cat <<'TXT'
Usage: scripts/test-chat-completion.sh [PROVIDER] [NAMESPACE] [MODEL]

Sends a chat completion to the LLMInferenceService <PROVIDER>-llamastack (default gemini) in
NAMESPACE (default llm) through the MaaS gateway, at /<namespace>/<name>/v1/chat/completions,
and prints the model, the reply, the token usage and the finish reason. MODEL defaults to the
name MaaS lists to clients: the MaaSModelRef's status.resolvedModelAlias on current MaaS
(publishers/<namespace>/models/<model>), else the service's spec.model.name (legacy MaaS), else
the provider's default model. The service answers to all of them.

Environment: LLAMASTACK_NAME overrides the service name; PROMPT the message; the MaaS
settings of scripts/lib/common.sh (MAAS_HOST, MAAS_TOKEN, ...).

Exit codes: 0 a reply with choices and usage, 1 the request failed (with a hint for 401, 403,
404, 429 and 503), 2 usage, 3 a tool is missing, 4 a reply without choices or usage.
Needs kubectl, curl and jq.
TXT
}

case "${1:-}" in -h | --help) usage; exit 0 ;; -*) usage >&2; exit "$EXIT_USAGE" ;; esac
[[ $# -le 3 ]] || { usage >&2; exit "$EXIT_USAGE"; }
provider=${1:-gemini}
namespace=${2:-llm}
name=${LLAMASTACK_NAME:-$provider-llamastack}
require_tools kubectl curl jq

model=${3:-}
if [[ -z "$model" ]]; then
  model=$(kubectl -n "$namespace" get maasmodelrefs.maas.opendatahub.io "$name" -o jsonpath='{.status.resolvedModelAlias}' 2>/dev/null) || true
  [[ -n "$model" ]] || model=$(kubectl -n "$namespace" get llminferenceservice "$name" -o jsonpath='{.spec.model.name}' 2>/dev/null) || true
  model=${model:-${default_model[$provider]:-}}
  [[ -n "$model" ]] || die "no model: give MODEL, or deploy $namespace/$name" "$EXIT_USAGE"
fi

host=$(maas_host)
token=$(maas_token "$host")
request=$(jq -n --arg model "$model" --arg prompt "${PROMPT:-Say hello in five words.}" \
  '{model: $model, messages: [{role: "user", content: $prompt}], max_tokens: 64}')
path="/$namespace/$name/v1/chat/completions"
echo "POST https://$host$path (model $model)"
response=$(maas_curl "$host" "$path" -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$request") ||
  die "cannot reach the MaaS gateway at https://$host"
status=${response##*$'\n'}
body=${response%$'\n'*}

case "$status" in
  200) ;;
  401) die "HTTP 401: the gateway did not accept the token; it is missing, malformed or expired: get a new one (unset MAAS_TOKEN to mint a MaaS API key)" ;;
  403) die "HTTP 403: the token is valid but may not use this model: add the tier to the alpha.maas.opendatahub.io/tiers annotation, or a subject to the MaaSAuthPolicy / MaaSSubscription" ;;
  404) die "HTTP 404: no route $path on the gateway: check that $namespace/$name exists, is Ready, has spec.router.route and a gateway ref with a namespace (scripts/validate-deployment.sh $provider $namespace)" ;;
  429) die "HTTP 429: rate limited by the token's tier or subscription (tokenRateLimits); wait for the window to pass or raise the limit" ;;
  503) die "HTTP 503: the gateway has no ready backend: Llama Stack is not running or not ready (scripts/validate-deployment.sh $provider $namespace)" ;;
  *) die "HTTP $status: $(head -c 300 <<<"$body")" ;;
esac

jq -e '(.choices | length > 0) and (.usage.total_tokens | type == "number")' >/dev/null 2>&1 <<<"$body" ||
  die "the reply has no choices or no usage.total_tokens: $(head -c 300 <<<"$body")" "$EXIT_BAD_RESPONSE"
jq -r '"model:         \(.model)",
       "reply:         \(.choices[0].message.content)",
       "tokens:        \(.usage.total_tokens) (prompt \(.usage.prompt_tokens // "?"), completion \(.usage.completion_tokens // "?"))",
       "finish reason: \(.choices[0].finish_reason // "?")"' <<<"$body"
