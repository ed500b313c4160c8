#!/usr/bin/env bash
# Makes sure the test suite's real parts are on this machine: Chromium for browser tests and
# Ceph (mon, osd, radosgw) for S3. As root on Debian it installs what is missing with apt-get;
# elsewhere it says what to install. CHROME_PATH / S3_ENDPOINT skip the matching check;
# HOIST_NO_APT=1 never installs, only reports.
set -euo pipefail
missing=()
chromium=${CHROME_PATH:-${HOIST_CHROMIUM:-/usr/bin/chromium}}
if [ ! -x "$chromium" ]; then missing+=(chromium); fi
if [ -z "${S3_ENDPOINT:-}" ]; then
  for bin in ceph-mon ceph-osd radosgw radosgw-admin; do
    command -v "$bin" >/dev/null || { missing+=(ceph-mon ceph-osd radosgw ceph-common); break; }
  done
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && [ -z "${HOIST_NO_APT:-}" ] && command -v apt-get >/dev/null; then
  echo "setup: installing ${missing[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
cat >&2 <<MSG
setup: the test suite needs: ${missing[*]}
  On Debian/Ubuntu: sudo apt-get install -y --no-install-recommends ${missing[*]}
  Or point it at what you have: CHROME_PATH=/path/to/chrome, and S3_ENDPOINT (with S3_BUCKET,
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, S3_FORCE_PATH_STYLE) for an S3-compatible store.
MSG
exit 1
