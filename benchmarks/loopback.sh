#!/usr/bin/env bash
# Loopback throughput and latency: three nginx replicas (Debian's nginx, one process, three loopback
# ports, one worker), a local HAProxy in front of them as the sidecar, and LoopbackComparison
# loading them with raw OkHttp, Hyperlane and OkHttp through HAProxy. Installs nginx and haproxy when
# missing (apt-get, as root or with sudo). Not part of the tests: run it on a quiet machine.
#   benchmarks/loopback.sh [callers] [seconds] [sidecar|hedging]
# 'hedging' compares Hyperlane with hedging off and with hedging on that never fires
# (HedgingOverhead): throughput and client CPU per request.
set -euo pipefail
cd "$(dirname "$0")/.."
callers="${1:-8}"
seconds="${2:-20}"
comparison="${3:-sidecar}"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "installing $* needs root" >&2; exit 1; fi
}
export PATH="$PATH:/usr/sbin"
missing=()
command -v nginx >/dev/null || missing+=(nginx)
command -v haproxy >/dev/null || missing+=(haproxy)
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
[ -f benchmarks/target/benchmarks.jar ] || mvn -B -q -ntp -DskipTests install >/dev/null

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' \
    2>/dev/null || shuf -i 20000-60000 -n 1
}
dir="$(mktemp -d)"
p1="$(free_port)"; p2="$(free_port)"; p3="$(free_port)"; ph="$(free_port)"
cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$p1; location / { return 200 '{"id":42,"stock":7}'; } }
  server { listen 127.0.0.1:$p2; location / { return 200 '{"id":42,"stock":7}'; } }
  server { listen 127.0.0.1:$p3; location / { return 200 '{"id":42,"stock":7}'; } }
}
CONF
cat >"$dir/haproxy.cfg" <<CONF
global
  nbthread 1
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
  http-reuse always
frontend sidecar
  bind 127.0.0.1:$ph
  default_backend replicas
backend replicas
  balance roundrobin
  server r1 127.0.0.1:$p1
  server r2 127.0.0.1:$p2
  server r3 127.0.0.1:$p3
CONF
nginx -c "$dir/nginx.conf" -p "$dir"
haproxy -f "$dir/haproxy.cfg" -D -p "$dir/haproxy.pid"
cleanup() {
  kill "$(cat "$dir/nginx.pid" 2>/dev/null)" 2>/dev/null || true
  kill "$(cat "$dir/haproxy.pid" 2>/dev/null)" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 1 50); do
  curl -sf "http://127.0.0.1:$ph/" >/dev/null 2>&1 && break
  sleep 0.1
done
if [ "$comparison" = hedging ]; then
  java -cp benchmarks/target/benchmarks.jar io.hyperlane.benchmarks.HedgingOverhead \
    "$p1,$p2,$p3" "$callers" "$seconds"
else
  java -cp benchmarks/target/benchmarks.jar io.hyperlane.benchmarks.LoopbackComparison \
    "$p1,$p2,$p3" "$ph" "$callers" "$seconds"
fi
