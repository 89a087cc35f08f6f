#!/usr/bin/env bash
# Shared by kube-binaries.sh, kserve-controller.sh and argocd-binaries.sh: builds a binary
# into the machine-wide cache (~/.cache/llamastack-integration) so that any number of runs
# (two clones running make test at once, say) can share it. Sourced, not run.

# cache_build TARGET BUILDER [ARG...] makes the executable TARGET unless it is already there.
# BUILDER runs as `BUILDER OUT ARG...` and must write the binary to OUT, a path in a fresh
# folder next to TARGET; the result is renamed onto TARGET, which is atomic on one file
# system, so no run ever sees a half-written binary. When util-linux's flock works, runs
# that share the cache folder build one at a time and a waiting run takes the binary the
# first one made; without a lock both build, and the one that ends second keeps the other's
# binary. A failed or interrupted build leaves nothing behind.
cache_build() (
  set -euo pipefail
  local target=$1 builder=$2 name folder tmp out lock
  shift 2
  name="$(basename "$0" .sh)"
  [[ -x "$target" ]] && exit 0
  folder="$(dirname "$target")"
  if ! mkdir -p "$folder" 2>/dev/null || [[ ! -w "$folder" ]]; then
    echo "$name: cannot write the cache folder $folder (read-only?): set XDG_CACHE_HOME to a writable folder" >&2
    exit 1
  fi
  # The lock is the folder itself, so it leaves no file behind; the kernel drops it when
  # this subshell ends, however it ends.
  if command -v flock >/dev/null && exec {lock}<"$folder"; then
    if ! flock -n "$lock"; then
      echo "$name: waiting for another run that is building into $folder" >&2
      flock "$lock" || echo "$name: cannot lock $folder; building without the lock" >&2
    fi
    [[ -x "$target" ]] && exit 0
  fi
  tmp="$(mktemp -d "$target.tmp.XXXXXX")"
  out="$tmp/$(basename "$target")"
  trap 'if [[ $? != 0 ]]; then echo "$name: building $target failed; nothing was cached" >&2; fi; rm -rf "$tmp"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  "$builder" "$out" "$@"
  if [[ -x "$target" ]]; then
    echo "$name: another run finished $target first; keeping it" >&2
  else
    mv -f "$out" "$target"
  fi
)
