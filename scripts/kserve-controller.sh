#!/usr/bin/env bash
# Builds KServe's own LLMInferenceService controller (cmd/llmisvc of the Go module
# github.com/kserve/kserve) from the Go module proxy and prints the path of the binary. The
# source is the module as the proxy serves it, built with its own go.mod and go.sum; nothing
# of it is copied into this repository. Binaries are cached outside the repo, keyed by
# version, so only the first run on a machine pays for the build (about 6 minutes on 2 cores).
#
# Usage: scripts/kserve-controller.sh v0.20.0 [v0.16.0 ...]   # one path per version on stdout
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/cache.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cache.sh"

[ $# -gt 0 ] || { echo "usage: $0 VERSION [VERSION ...]" >&2; exit 2; }
command -v go >/dev/null || { echo "kserve-controller: go is not on PATH" >&2; exit 1; }
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/llamastack-integration"

# build_llmisvc OUT VERSION builds cmd/llmisvc of KServe VERSION into OUT.
build_llmisvc() {
  local out=$1 version=$2 dir
  echo "kserve-controller: building KServe $version cmd/llmisvc (first run on this machine: about 6 minutes)" >&2
  dir="$(go mod download -json "github.com/kserve/kserve@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -n "$dir" && -d "$dir" ]] || { echo "kserve-controller: cannot fetch github.com/kserve/kserve@$version from the Go module proxy" >&2; exit 1; }
  # The module folder is read-only; the build writes only the binary and Go's caches.
  (cd "$dir" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -o "$out" ./cmd/llmisvc) >&2
}

for version in "$@"; do
  bin="$cache_root/kserve-llmisvc-$version"
  cache_build "$bin" build_llmisvc "$version"
  echo "$bin"
done
