#!/usr/bin/env bash
# Starts or stops a throwaway single-node Ceph cluster (1 mon, 1 memstore OSD, 1 RGW) on loopback.
#   scripts/rgw.sh start DIR [PORT]   prints S3 connection variables as KEY=VALUE lines when RGW answers
#   scripts/rgw.sh stop DIR
#   scripts/rgw.sh restart-rgw DIR    stops and starts only the radosgw daemon of a running cluster
#                                     (the stored data stays), returns when it answers again
# Data lives in RAM (memstore) and is gone after stop.
set -euo pipefail
usage='usage: rgw.sh start|stop|restart-rgw DIR [PORT]'
cmd=${1:?$usage}
dir=${2:?$usage}
port=${3:-7480}
mon_port=${MON_PORT:-$((port + 1000))}
access_key=hoist-test-access
secret_key=hoist-test-secret

stop() {
  for f in "$dir"/run/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for _ in $(seq 1 50); do
    alive=0
    for f in "$dir"/run/*.pid; do
      [ -f "$f" ] || continue
      pid=$(cat "$f" 2>/dev/null || true)
      [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && alive=1
    done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for f in "$dir"/run/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
}

wait_rgw() {
  for i in $(seq 1 120); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && return 0
    [ "$i" = 120 ] && { echo "rgw.sh: RGW did not answer on port $port within 60 s" >&2; return 1; }
    sleep 0.5
  done
}

restart_rgw() {
  export CEPH_CONF="$dir/ceph.conf"
  [ -f "$CEPH_CONF" ] || { echo "rgw.sh: no cluster in $dir (run start first)" >&2; exit 2; }
  port=$(sed -n 's/^rgw frontends = .*endpoint=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$CEPH_CONF")
  pidfile="$dir/run/client.rgw.a.pid"
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  radosgw -n client.rgw.a
  wait_rgw
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
if [ "$cmd" = restart-rgw ]; then restart_rgw; exit 0; fi
[ "$cmd" = start ] || { echo "unknown command $cmd; $usage" >&2; exit 2; }

for bin in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph; do
  command -v "$bin" >/dev/null || { echo "rgw.sh: $bin is missing; install it with: apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw ceph-common" >&2; exit 3; }
done

rm -rf "$dir"; mkdir -p "$dir"/{run,log,mon,osd}
fsid=$(cat /proc/sys/kernel/random/uuid)
export CEPH_CONF="$dir/ceph.conf"
cat > "$CEPH_CONF" <<CONF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$mon_port
public addr = 127.0.0.1
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd crush chooseleaf type = 0
run dir = $dir/run
log file = $dir/log/\$name.log
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
keyring = /dev/null
mon_warn_on_pool_no_redundancy = false
[mon.a]
mon data = $dir/mon
[osd.0]
osd data = $dir/osd
osd objectstore = memstore
memstore device bytes = ${MEMSTORE_BYTES:-6442450944}
osd max object name len = 256
osd max object namespace len = 64
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$port
rgw data = $dir/rgw
# Free deleted objects' RAM within seconds instead of hours (the store is RAM-backed).
rgw gc obj min wait = 0
rgw gc processor period = 5
CONF

# The first commands after the monitor starts now and then fail with "Error EPERM: problem getting
# command descriptions from mon" (it answers before it is ready, once with fsid 00000000-…). Nothing
# ran on the cluster then, so the command is tried again after a short sleep.
early_ceph() {
  local out
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    if out=$(ceph --connect-timeout 20 "$@" 2>>"$dir/log/setup.log"); then
      printf '%s' "$out"
      return 0
    fi
    [ "$attempt" = 10 ] && { echo "rgw.sh: ceph $* failed 10 times" >&2; return 1; }
    echo "rgw.sh: ceph $* failed (attempt $attempt), trying again" >>"$dir/log/setup.log"
    sleep 0.3
  done
}

trap 'echo "rgw.sh: start failed; logs in $dir/log" >&2; tail -n 20 "$dir"/log/*.log >&2 2>/dev/null || true' ERR
monmaptool --create --addv a [v1:127.0.0.1:$mon_port] --fsid "$fsid" "$dir/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$dir/monmap" 2>>"$dir/log/setup.log"
ceph-mon -i a
early_ceph osd create >/dev/null
early_ceph osd crush add osd.0 1 root=default >/dev/null
# On memstore, an OSD made by --mkfs now and then starts with an empty cluster fsid and the monitor
# refuses it ("wrong fsid"); making it again succeeds, so try a few times.
for attempt in 1 2 3 4 5; do
  rm -rf "$dir/osd" && mkdir -p "$dir/osd"
  ceph-osd -i 0 --mkfs 2>>"$dir/log/setup.log" >/dev/null
  if ceph-osd -i 0 2>>"$dir/log/setup.log"; then break; fi
  [ "$attempt" = 5 ] && { echo "rgw.sh: ceph-osd would not start after 5 attempts" >&2; false; }
  echo "rgw.sh: ceph-osd refused to start (attempt $attempt), making it again" >>"$dir/log/setup.log"
done
mkdir -p "$dir/rgw"
radosgw -n client.rgw.a
wait_rgw
radosgw-admin user create --uid=hoist-test --display-name=hoist-test --access-key=$access_key --secret-key=$secret_key >/dev/null 2>&1
echo "S3_ENDPOINT=http://127.0.0.1:$port"
echo "AWS_ACCESS_KEY_ID=$access_key"
echo "AWS_SECRET_ACCESS_KEY=$secret_key"
echo "S3_REGION=us-east-1"
echo "CEPH_CONF=$CEPH_CONF"
