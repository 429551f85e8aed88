#!/usr/bin/env bash
# Starts a Docker engine if none answers (idempotent). Needs root; vfs storage works on any filesystem.
# Log: ${DOCKERD_LOG:-/var/log/ddns-dockerd.log}
set -euo pipefail
if docker info >/dev/null 2>&1; then
  echo "docker engine already running"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "no Docker engine answers and this is not root: start dockerd yourself" >&2
  exit 1
fi
log=${DOCKERD_LOG:-/var/log/ddns-dockerd.log}
if ! pgrep -x dockerd >/dev/null; then
  echo "starting dockerd --storage-driver=vfs (log: $log)"
  nohup dockerd --storage-driver=vfs >>"$log" 2>&1 </dev/null &
fi
for _ in $(seq 1 120); do
  docker info >/dev/null 2>&1 && { echo "docker engine up"; exit 0; }
  sleep 1
done
echo "dockerd did not come up; last lines of $log:" >&2
tail -20 "$log" >&2
exit 1
