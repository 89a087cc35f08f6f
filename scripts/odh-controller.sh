#!/usr/bin/env bash
# Builds Open Data Hub's fork of KServe's LLMInferenceService controller (cmd/llmisvc) as ODH
# builds it (-tags distro, which compiles in the *_odh.go files) and prints the path of the
# binary. The source is the fork's unmodified tarball in ../shared/reference/odh-kserve (the
# fork is not on the Go module proxy: its module path is github.com/kserve/kserve), extracted
# into a temporary folder for the build; its dependencies come from the Go module proxy with
# the fork's own go.mod and go.sum. Nothing of it is copied into this repository. The binary
# is cached outside the repo, keyed by the tarball's SHA-256, so only the first run on a
# machine pays for the build (6 to 7 minutes cold on 2 cores).
#
# Usage: scripts/odh-controller.sh [TARBALL]   # the binary's path on stdout, progress on stderr
# Exits 3, saying why, when the tarball is absent, so the tests can skip ODH's variant.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/cache.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cache.sh"

shared="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/shared"
tarball="${1:-$shared/reference/odh-kserve/kserve-odh-v3.5.tar.gz}"
[[ -f "$tarball" ]] || { echo "odh-controller: $tarball is absent" >&2; exit 3; }
command -v go >/dev/null || { echo "odh-controller: go is not on PATH" >&2; exit 1; }
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/llamastack-integration"
hash="$(sha256sum "$tarball" | cut -c1-16)"

# build_odh_llmisvc OUT TARBALL extracts TARBALL beside OUT and builds its cmd/llmisvc into OUT.
build_odh_llmisvc() {
  local out=$1 tarball=$2 src
  echo "odh-controller: building ODH's cmd/llmisvc from $(basename "$tarball") (first run on this machine: 6 to 7 minutes)" >&2
  src="$(dirname "$out")/src"
  mkdir -p "$src"
  tar -xzf "$tarball" -C "$src"
  # The tarball holds one folder, kserve-odh-<tag>/.
  (cd "$src"/*/ && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -tags distro -trimpath -o "$out" ./cmd/llmisvc) >&2
}

bin="$cache_root/odh-llmisvc-$hash"
cache_build "$bin" build_odh_llmisvc "$tarball"
echo "$bin"
