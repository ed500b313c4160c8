#!/usr/bin/env bash
# Starts or stops a throwaway single-node Ceph cluster (1 mon, 1 memstore OSD, 1 RGW) on loopback.
#   scripts/rgw.sh start DIR [PORT]   prints S3 connection variables as KEY=VALUE lines when RGW answers
#   scripts/rgw.sh stop DIR
# Data lives in RAM (memstore) and is gone after stop.
set -euo pipefail
cmd=${1:?usage: rgw.sh start|stop DIR [PORT]}
dir=${2:?usage: rgw.sh start|stop DIR [PORT]}
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

if [ "$cmd" = stop ]; then stop; exit 0; fi
[ "$cmd" = start ] || { echo "unknown command $cmd" >&2; exit 2; }

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

trap 'echo "rgw.sh: start failed; logs in $dir/log" >&2; tail -n 20 "$dir"/log/*.log >&2 2>/dev/null || true' ERR
monmaptool --create --addv a [v1:127.0.0.1:$mon_port] --fsid "$fsid" "$dir/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$dir/monmap" 2>>"$dir/log/setup.log"
ceph-mon -i a
ceph --connect-timeout 20 osd create >/dev/null
ceph osd crush add osd.0 1 root=default >/dev/null 2>&1
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
for i in $(seq 1 120); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
  [ "$i" = 120 ] && { echo "rgw.sh: RGW did not answer on port $port within 60 s" >&2; false; }
  sleep 0.5
done
radosgw-admin user create --uid=hoist-test --display-name=hoist-test --access-key=$access_key --secret-key=$secret_key >/dev/null 2>&1
echo "S3_ENDPOINT=http://127.0.0.1:$port"
echo "AWS_ACCESS_KEY_ID=$access_key"
echo "AWS_SECRET_ACCESS_KEY=$secret_key"
echo "S3_REGION=us-east-1"
echo "CEPH_CONF=$CEPH_CONF"
