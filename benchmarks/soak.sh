#!/usr/bin/env bash
# The chaos soak (ChaosSoak): two Hyperlane instances sharing a Redis and an etcd of the soak's own,
# under a fixed open-loop rate of reads, writes and POSTs, while replicas are killed and restarted,
# one turns into a black hole, Redis and etcd are killed and restarted, and endpoints come and go.
# Prints what it counted; exits 1 when a count that must be zero is not, or a resource grew.
# Installs redis-server and etcd-server when missing (apt-get, as root or with sudo).
#   benchmarks/soak.sh [seconds] [calls per second]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
rate="${2:-200}"
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "installing $* needs root" >&2; exit 1; fi
}
export PATH="$PATH:/usr/sbin"
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v etcd >/dev/null || missing+=(etcd-server)
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
[ -f benchmarks/target/benchmarks.jar ] || mvn -B -q -ntp -DskipTests install >/dev/null
exec java -Xmx512m -cp benchmarks/target/benchmarks.jar io.hyperlane.benchmarks.ChaosSoak \
  "$seconds" "$rate"
