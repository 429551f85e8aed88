#!/bin/sh
set -e
case "$1" in
  api|dns|mailer) svc="$1"; shift; exec node "/app/services/$svc/dist/main.js" "$@" ;;
  migrate) exec node /app/packages/cli/dist/main.js migrate ;;
  ddns) shift; exec node /app/packages/cli/dist/main.js "$@" ;;
  *) exec "$@" ;;
esac
