#!/usr/bin/env bash
# Builds Argo CD's argocd-repo-server and argocd-cmp-server, at the version deploy/argocd pins,
# from the Go module proxy, together with the small driver in scripts/argocd/main.go (a Redis
# stand-in and a gRPC client), into one binary, and prints its path. The binary is cached
# outside the repo, keyed by version, so only the first run on a machine pays for the build
# (about 3 minutes on 2 cores).
#
# Usage: scripts/argocd-binaries.sh [VERSION]     # default: the argocd image tag in deploy/argocd
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/cache.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cache.sh"

here="$(cd "$(dirname "$0")" && pwd)"
version="${1:-$(sed -n 's#.*quay.io/argoproj/argocd:\(v[0-9.]*\).*#\1#p' "$here/../deploy/argocd/cmp/repo-server.yaml" | head -n 1)}"
[[ -n "$version" ]] || { echo "argocd-binaries: cannot find the pinned Argo CD version in deploy/argocd" >&2; exit 1; }
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/llamastack-integration"
bin="$cache_root/argocd-test-servers-$version"
if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# build_servers OUT builds the driver with Argo CD $version's servers into OUT.
build_servers() (
  local out=$1 dir
  echo "argocd-binaries: building Argo CD $version's repo-server and cmp-server (first run on this machine: about 3 minutes)" >&2
  dir="$(go mod download -json "github.com/argoproj/argo-cd/v3@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -n "$dir" && -d "$dir" ]] || { echo "argocd-binaries: cannot fetch github.com/argoproj/argo-cd/v3@$version from the Go module proxy" >&2; exit 1; }
  cp "$here/argocd/main.go" "$work/main.go"
  sed -i '1,2{/^\/\/go:build ignore$/d}' "$work/main.go"
  cd "$work"
  go mod init argocd-test-servers >/dev/null 2>&1
  go mod edit -go="$(go mod edit -json "$dir/go.mod" | sed -n 's/^[[:space:]]*"Go": "\(.*\)",*$/\1/p' | head -n 1)"
  # Argo CD's own requirements and replacements, so that the graph is the one it was built with.
  cp "$dir/go.mod" go.mod.argocd
  go mod edit -json go.mod.argocd > argocd.json
  python3 - <<'PY'
import json, subprocess
mod = json.load(open("argocd.json"))
args = []
for r in mod.get("Require") or []:
    args.append("-require=%s@%s" % (r["Path"], r["Version"]))
for r in mod.get("Replace") or []:
    old = r["Old"]["Path"] + ("@" + r["Old"]["Version"] if r["Old"].get("Version") else "")
    new = r["New"]["Path"] + ("@" + r["New"]["Version"] if r["New"].get("Version") else "")
    args.append("-replace=%s=%s" % (old, new))
subprocess.run(["go", "mod", "edit"] + args, check=True)
PY
  go mod edit -require="github.com/argoproj/argo-cd/v3@$version"
  cp "$dir/go.sum" go.sum
  GOFLAGS=-mod=mod go mod tidy >&2
  GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -o "$out" . >&2
)

cache_build "$bin" build_servers
echo "$bin"
