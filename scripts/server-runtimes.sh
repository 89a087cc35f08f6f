#!/usr/bin/env bash
# Builds the Llama Stack and OGX servers that the real-server tests (servers/) run, from the
# unmodified upstream sources in ../shared/upstream, with the build scripts of ../shared (no
# network but Debian's apt, about 10 s each plus apt on a fresh machine). Each runtime is
# cached in ~/.cache/llamastack-integration/runtimes/<name>; prints that folder.
#
# Usage: scripts/server-runtimes.sh [NAME...]   # names: lls03 ogx13 lls07 odh-lls odh-ogx (default: all)
# Exits 3, saying why, when ../shared lacks what a runtime needs, so the tests can skip it.
set -euo pipefail
shared="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/shared"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/llamastack-integration/runtimes"

# name: build script (in ../shared) and the variable that names its output folder
declare -A script=([lls03]=llsruntime/build_env.sh [ogx13]=ogxruntime/build_ogx.sh
  [lls07]=lls07runtime/build_lls07.sh [odh-lls]=lls07runtime/odh/build_odh.sh [odh-ogx]=odhogxruntime/build_odhogx.sh)
declare -A outvar=([lls03]=LLS_RUNTIME [ogx13]=OGX_RUNTIME [lls07]=LLS07_RUNTIME [odh-lls]=ODH_LLS_RUNTIME
  [odh-ogx]=ODH_OGX_RUNTIME)

# build NAME: into a fresh folder beside the target, renamed onto it when complete, so two
# runs (two clones' make test) never see a half-built runtime; a run that waited for the
# lock, or lost the race, keeps the other's.
build() (
  local name=$1 target tmp lock
  target="$cache/$name-$(sources_hash "$name")"
  [[ -f "$target/.complete" ]] && exit 0
  [[ -f "$shared/${script[$name]}" && -f "$shared/upstream/MANIFEST.tsv" ]] ||
    { echo "server-runtimes: $shared/${script[$name]} or $shared/upstream is absent" >&2; exit 3; }
  mkdir -p "$cache"
  exec {lock}<"$cache"
  flock "$lock"
  [[ -f "$target/.complete" ]] && exit 0
  tmp="$(mktemp -d "$target.tmp.XXXXXX")"
  # (a runtime of older sources stays until removed by hand: another clone may still use it)
  trap 'rm -rf "$tmp"' EXIT
  echo "server-runtimes: building $name (../shared/${script[$name]})" >&2
  if ! env "${outvar[$name]}=$tmp/rt" sh "$shared/${script[$name]}" > "$tmp/build.log" 2>&1; then
    tail -20 "$tmp/build.log" >&2
    echo "server-runtimes: building $name failed; nothing was cached" >&2
    exit 1
  fi
  touch "$tmp/rt/.complete"
  rm -rf "$target"
  mv -T "$tmp/rt" "$target"
)

# sources_hash NAME: the build script's folder and the bundle's manifest, which name every
# upstream source a runtime is built from.
sources_hash() {
  local dir
  dir="$shared/${script[$1]%%/*}"
  [[ -f "$shared/${script[$1]}" && -f "$shared/upstream/MANIFEST.tsv" ]] || { echo absent; return; }
  (cd "$dir" && find . -type f -print0 | sort -z | xargs -0 sha256sum; sha256sum "$shared/upstream/MANIFEST.tsv" | cut -d' ' -f1) |
    sha256sum | cut -c1-12
}

names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=(lls03 ogx13 lls07 odh-lls odh-ogx)
for name in "${names[@]}"; do
  [[ -n "${script[$name]:-}" ]] || { echo "server-runtimes: unknown runtime $name" >&2; exit 2; }
  build "$name"
  echo "$cache/$name-$(sources_hash "$name")"
done
