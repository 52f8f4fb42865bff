#!/usr/bin/env bash
# Installs the system packages Hookline needs, idempotently:
#   chromium        browser tests (Playwright drives /usr/bin/chromium; no browser download)
#   sip-tester      SIPp, for interop and load tests
#   openssl         self-signed certificates for the WSS test
#   postgresql      server binaries only (initdb, pg_ctl, postgres): the PostgreSQL tests and the
#                   driver benchmark start throwaway clusters of their own; the system service is
#                   neither enabled nor started
#   mediasoup-worker 3.8.4 from Debian experimental (pinned so nothing else comes from there),
#                   with a fallback .deb kept in vendor/ should experimental drop it
#   kamailio, kamailio-sqlite-modules, kamailio-websocket-modules, rtpengine-daemon
#                   only with --bench: the peer the gateway benchmark compares against (Kamailio
#                   with digest auth against SQLite, media anchored in rtpengine, userspace only)
#                   and the registration benchmark's (Kamailio's WebSocket registrar, RFC 7118)
# Safe to run again: it installs only what is missing and says what it does.
set -u
cd "$(dirname "$0")/.."

MS_VERSION="3.8.4~dfsg1-1"
MS_BIN="/usr/lib/x86_64-linux-gnu/mediasoup/mediasoup-worker"
PG_INITDB_GLOB="/usr/lib/postgresql/*/bin/initdb"
KAM_SQLITE="/usr/lib/x86_64-linux-gnu/kamailio/modules/db_sqlite.so"
KAM_WEBSOCKET="/usr/lib/x86_64-linux-gnu/kamailio/modules/websocket.so"
FALLBACK_DEB="vendor/mediasoup-worker_3.8.4~dfsg1-1_amd64.deb"
want_bench=0
[ "${1:-}" = "--bench" ] && want_bench=1

say() { printf '[setup] %s\n' "$*"; }
fail() { printf '[setup] FAILED: %s\n' "$*" >&2; failed=1; }
failed=0
log=/tmp/hookline-setup-apt.log
# apt's chatter goes to a log; on failure its last lines are shown.
apt_quiet() {
  if $SUDO apt-get -q "$@" >>"$log" 2>&1; then return 0; fi
  tail -n 15 "$log" >&2; return 1
}

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v sipp >/dev/null 2>&1 || missing+=(sip-tester)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)   # test certificates for WSS
pg_initdb() { compgen -G "$PG_INITDB_GLOB" | sort -V | tail -n1; }
[ -n "$(pg_initdb)" ] || missing+=(postgresql)
[ -x "$MS_BIN" ] || missing+=(mediasoup-worker)
if [ "$want_bench" = 1 ]; then
  command -v kamailio >/dev/null 2>&1 || missing+=(kamailio)
  [ -f "$KAM_SQLITE" ] || missing+=(kamailio-sqlite-modules)
  [ -f "$KAM_WEBSOCKET" ] || missing+=(kamailio-websocket-modules)
  command -v rtpengine >/dev/null 2>&1 || missing+=(rtpengine-daemon)
fi

if [ ${#missing[@]} -eq 0 ]; then
  say "system packages present: chromium, sipp, openssl, mediasoup-worker, postgresql$([ $want_bench = 1 ] && echo ', kamailio (sqlite, websocket), rtpengine')"
  exit 0
fi
say "missing: ${missing[*]}"

if ! command -v apt-get >/dev/null 2>&1; then
  cat >&2 <<MSG
[setup] This system has no apt-get. Install these yourself, then run this again:
  - Chromium at /usr/bin/chromium (or set HOOKLINE_CHROMIUM to its path)
  - SIPp (the 'sipp' command)
  - PostgreSQL 15 or later, its server binaries (initdb, pg_ctl; set HOOKLINE_POSTGRES_BIN to their folder)
  - mediasoup-worker 3.8.4 (set MEDIASOUP_WORKER_BIN to it); built from mediasoup 3.8.4's worker/
$([ $want_bench = 1 ] && echo '  - Kamailio with its SQLite and WebSocket modules, and rtpengine (for npm run bench)')
MSG
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    say "not root and no sudo: run this script as root"; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive

# Debian experimental, pinned so that only mediasoup-worker comes from it.
setup_experimental() {
  local src=/etc/apt/sources.list.d/hookline-experimental.sources
  [ -f "$src" ] && return 0
  # Reuse the mirror this machine already uses for Debian (never a host written here).
  local uri keyring
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -E '/debian/?$' | head -n1)
  [ -n "$uri" ] || uri=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -E '/debian/?$' | head -n1)
  if [ -z "$uri" ]; then fail "could not find this machine's Debian mirror in /etc/apt"; return 1; fi
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  say "adding Debian experimental from $uri (pinned: only mediasoup-worker)"
  $SUDO tee "$src" >/dev/null <<SRC
Types: deb
URIs: $uri
Suites: experimental
Components: main
Signed-By: $keyring
Check-Valid-Until: no
SRC
  $SUDO tee /etc/apt/preferences.d/hookline-mediasoup >/dev/null <<PREF
Package: *
Pin: release a=experimental
Pin-Priority: -1

Package: mediasoup-worker
Pin: version $MS_VERSION
Pin-Priority: 500
PREF
}

apt_pkgs=()
for p in "${missing[@]}"; do
  case "$p" in
    mediasoup-worker) setup_experimental ;;
    *) apt_pkgs+=("$p") ;;
  esac
done

say "apt-get update"
$SUDO apt-get update -q >/tmp/hookline-apt-update.log 2>&1 || say "apt-get update reported errors (see /tmp/hookline-apt-update.log); continuing"

if [ ${#apt_pkgs[@]} -gt 0 ]; then
  say "apt-get install --no-install-recommends ${apt_pkgs[*]}"
  # policy-rc.d keeps kamailio's, rtpengine's and postgresql's packages from starting a system
  # service (tests start their own PostgreSQL clusters).
  echo -e '#!/bin/sh\nexit 101' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null; $SUDO chmod +x /usr/sbin/policy-rc.d
  apt_quiet install -y --no-install-recommends "${apt_pkgs[@]}" || fail "apt-get install ${apt_pkgs[*]}"
  $SUDO rm -f /usr/sbin/policy-rc.d
fi

if [[ " ${missing[*]} " == *" mediasoup-worker "* ]]; then
  say "apt-get install mediasoup-worker=$MS_VERSION"
  if ! apt_quiet install -y --no-install-recommends "mediasoup-worker=$MS_VERSION"; then
    say "experimental did not provide it; installing the kept copy $FALLBACK_DEB"
    apt_quiet install -y --no-install-recommends "./$FALLBACK_DEB" || fail "mediasoup-worker from $FALLBACK_DEB"
  fi
fi

[ -x /usr/bin/chromium ] && say "chromium: $(/usr/bin/chromium --version 2>/dev/null)" || fail "chromium not at /usr/bin/chromium"
command -v sipp >/dev/null && say "sipp: $(sipp -v 2>&1 | grep -o 'v[0-9][0-9.]*' | head -1)" || fail "sipp not installed"
[ -x "$MS_BIN" ] && say "mediasoup-worker: $MS_BIN" || fail "mediasoup-worker not at $MS_BIN"
[ -n "$(pg_initdb)" ] && say "postgresql: $("$(pg_initdb)" --version)" || fail "postgresql server binaries not in ${PG_INITDB_GLOB%/initdb}"
if [ "$want_bench" = 1 ]; then
  command -v kamailio >/dev/null && say "kamailio: installed" || fail "kamailio not installed"
  [ -f "$KAM_SQLITE" ] && say "kamailio sqlite modules: $KAM_SQLITE" || fail "kamailio-sqlite-modules not installed"
  [ -f "$KAM_WEBSOCKET" ] && say "kamailio websocket modules: $KAM_WEBSOCKET" || fail "kamailio-websocket-modules not installed"
  command -v rtpengine >/dev/null && say "rtpengine: $(rtpengine --version 2>&1 | head -n1)" || fail "rtpengine-daemon not installed"
fi
exit $failed
