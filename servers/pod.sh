#!/usr/bin/env bash
# Runs a rendered main container the way the kubelet would, for the real-server tests: the
# container's own command and args, as UID:GID (gid 0 as on OpenShift, or the image's), with
# the pod's volumes at their mount paths, the image's filesystem and environment, a new /tmp,
# and the command as PID 1 of its own PID namespace (so it gets the kubelet's SIGTERM, and
# nothing it started outlives it). Only the volumes mounted :rw are writable. Nothing reaches
# the machine but the empty mount points.
#
# Usage: pod.sh LAYOUT RUNTIME UID GID MOUNT... -- VAR=value... -- COMMAND...
#   LAYOUT   starter: the runtime found through PATH and PYTHONPATH (the starter images);
#            odh-ogx, odh-llama-stack: the Open Data Hub image's /opt/app-root, laid out by
#            ../shared's setup_image_layout.sh around the runtime
#   RUNTIME  a runtime folder built by scripts/server-runtimes.sh
#   MOUNT    HOSTDIR:PATH[:rw], read-only unless :rw (ConfigMaps, Secrets, emptyDirs)
#   VAR=...  the container's env, after the image's
# Needs root, util-linux's unshare and setpriv, and ../shared beside the repository.
set -euo pipefail
layout=$1 rt=$2 uid=$3 gid=$4
shift 4
mounts=()
while [[ $1 != -- ]]; do mounts+=("$1"); shift; done
shift
envs=()
while [[ $1 != -- ]]; do envs+=("$1"); shift; done
shift
shared="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/shared"
A=/opt/app-root

# The image's environment: where its Python and its console scripts are, and its HOME.
case $layout in
starter)
  at=/opt/lsi-runtime
  image_env=(PATH="$at/bin:/usr/local/bin:/usr/bin:/bin" PYTHONPATH="$at/site:$at/src:$at/shims" HOME=/ LANG=C.UTF-8)
  ;;
odh-ogx | odh-llama-stack)
  at=$A/lib/runtime
  image_env=(PATH="$A/bin:/usr/local/bin:/usr/bin:/bin" PYTHONPATH="$at/site:$at/src:$at/shims" HOME="$A/src"
    APP_ROOT="$A" LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1)
  ;;
*) echo "pod.sh: unknown layout $layout" >&2; exit 2 ;;
esac

# In the new namespaces: a tmpfs /opt with the runtime (and the ODH image's /opt/app-root), the
# pod's volumes, a new /tmp; then the container's command as uid:gid, in the image's WORKDIR.
# shellcheck disable=SC2016 # expanded by the namespace's sh
setup='set -eu
layout=$1 rt=$2 at=$3 shared=$4 n=$5; shift 5
mount -t tmpfs -o mode=755 pod-opt /opt
mkdir -p "$at" && mount --bind "$rt" "$at" && mount -o remount,bind,ro "$at"
case $layout in
odh-ogx) sh "$shared/odhogxruntime/setup_image_layout.sh" "$at" >/dev/null ;;
odh-llama-stack) sh "$shared/lls07runtime/setup_image_layout.sh" odh / "$at" >/dev/null ;;
esac
while [ "$n" -gt 0 ]; do
  m=$1; shift; n=$((n - 1))
  src=${m%%:*} dst=${m#*:} mode=ro
  case $dst in *:rw) dst=${dst%:rw} mode=rw ;; esac
  mkdir -p "$dst" && mount --bind "$src" "$dst"
  [ "$mode" = rw ] || mount -o remount,bind,ro "$dst"
done
mount -t tmpfs -o mode=1777 pod-tmp /tmp
mount -t proc proc /proc
# Everything but the writable volumes is read-only, as under readOnlyRootFilesystem: a
# write anywhere else (the image'"'"'s HOME, /tmp, /) fails the server, and so the test.
mount -o remount,ro /opt
mount -o remount,ro /tmp
mount -o remount,bind,ro /
cd "$(if [ -d /opt/app-root/src ]; then echo /opt/app-root/src; else echo /; fi)"
exec "$@"'
exec unshare --mount --pid --fork --propagation private -- /bin/sh -c "$setup" sh \
  "$layout" "$rt" "$at" "$shared" "${#mounts[@]}" "${mounts[@]}" \
  env -i "${image_env[@]}" "${envs[@]}" \
  setpriv --reuid "$uid" --regid "$gid" --clear-groups -- "$@"
