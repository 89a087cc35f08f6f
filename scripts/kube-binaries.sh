#!/usr/bin/env bash
# Builds a real kube-apiserver and etcd from the Go module proxy (no Docker, no envtest
# download) and prints the folder that holds them. Binaries are cached outside the repo,
# keyed by version, so only the first run on a machine pays for the build (5 to 10 min, 2 cores).
#
# Usage: scripts/kube-binaries.sh            # prints the bin folder on stdout, progress on stderr
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/cache.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cache.sh"

KUBE_VERSION="${KUBE_VERSION:-v1.34.4}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
staging_version="v0${KUBE_VERSION#v1}"   # v1.34.4 -> v0.34.4

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/llamastack-integration"
bin_dir="$cache_root/kube-$KUBE_VERSION-etcd-$ETCD_VERSION"
if [[ -x "$bin_dir/kube-apiserver" && -x "$bin_dir/etcd" ]]; then
  echo "$bin_dir"
  exit 0
fi

log() { echo "kube-binaries: $*" >&2; }
command -v go >/dev/null || { log "go is not on PATH"; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Every staging module that k8s.io/kubernetes requires at v0.0.0 must be replaced by its
# published tag, otherwise the module graph cannot be resolved.
staging=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
  cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api
  cri-client csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms
  kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics
  mount-utils pod-security-admission sample-apiserver sample-cli-plugin sample-controller)

# build_apiserver OUT builds kube-apiserver KUBE_VERSION into OUT.
build_apiserver() (
  local out=$1 ldflags
  log "building kube-apiserver $KUBE_VERSION (first run on this machine: 5 to 10 minutes on 2 cores)"
  mkdir -p "$work/apiserver"
  cd "$work/apiserver"
  {
    echo "module kubebuild"
    echo
    echo "go 1.24"
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    for m in "${staging[@]}"; do echo "replace k8s.io/$m => k8s.io/$m $staging_version"; done
  } > go.mod
  cat > tools.go <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO
  GOFLAGS=-mod=mod go mod tidy >&2 2>&1 || GOFLAGS=-mod=mod go get k8s.io/kubernetes/cmd/kube-apiserver >&2
  ldflags="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2)"
  ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION"
  GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out" k8s.io/kubernetes/cmd/kube-apiserver
)

# build_etcd OUT builds etcd ETCD_VERSION into OUT.
build_etcd() (
  local out=$1
  log "building etcd $ETCD_VERSION"
  mkdir -p "$work/etcd"
  cd "$work/etcd"
  printf 'module etcdbuild\n\ngo 1.24\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" > go.mod
  cat > main.go <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  GOFLAGS=-mod=mod go mod tidy >&2
  GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -o "$out" .
)

cache_build "$bin_dir/kube-apiserver" build_apiserver
cache_build "$bin_dir/etcd" build_etcd
log "built into $bin_dir"
echo "$bin_dir"
