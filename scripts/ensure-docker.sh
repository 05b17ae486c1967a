#!/usr/bin/env bash
# Make a Docker engine answer, and make sure debootstrap (for the build image's base) is there.
# Idempotent: an engine that already answers (DOCKER_HOST or the default socket) is left alone.
# Otherwise, as root: installs Debian's docker.io when dockerd is missing and starts dockerd in
# the background, recording its pid so scripts/stop-docker.sh stops only an engine started here.
#
# Overrides: PITSTOP_DOCKERD_PIDFILE, PITSTOP_DOCKERD_LOG, PITSTOP_DOCKERD_TIMEOUT (seconds),
# PITSTOP_DOCKERD_ARGS (extra dockerd arguments, e.g. "-H unix:///tmp/d.sock --data-root /tmp/d
# --exec-root /tmp/e --pidfile /tmp/d.pid --bridge=pitstop-test0 --iptables=false" for a second
# engine next to a running one; create that bridge first with `ip link add pitstop-test0 type bridge`).
set -euo pipefail

pidfile=${PITSTOP_DOCKERD_PIDFILE:-/var/run/pitstop-dockerd.pid}
logfile=${PITSTOP_DOCKERD_LOG:-/var/log/pitstop-dockerd.log}
timeout=${PITSTOP_DOCKERD_TIMEOUT:-60}
read -r -a extra_args <<<"${PITSTOP_DOCKERD_ARGS:-}"

say() { echo "ensure-docker: $*"; }
die() { echo "ensure-docker: error: $*" >&2; exit 4; }

# dockerd started with --bridge=none deletes the host's docker0 interface, cutting every other
# engine's containers off the network.
if [[ " ${extra_args[*]} " =~ [[:space:]](--bridge|-b)[=[:space:]]+[Nn]one[[:space:]] ]]; then
    die "refusing --bridge=none: dockerd then deletes docker0, breaking other engines;" \
        "create a bridge (ip link add NAME type bridge) and pass --bridge=NAME"
fi

answers() { docker info >/dev/null 2>&1; }

as_root() {
    [[ $(id -u) -eq 0 ]] || die "$1 needs root; run: sudo $0"
}

apt_install() {
    as_root "installing $*"
    command -v apt-get >/dev/null || die "no apt-get here; install $* with your package manager"
    say "installing $* with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null || die "apt-get install $* failed"
}

missing=()
command -v debootstrap >/dev/null || [[ -x /usr/sbin/debootstrap ]] || missing+=(debootstrap)
[[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]] || missing+=(debian-archive-keyring)

if command -v docker >/dev/null && answers; then
    # The engine is fine; debootstrap only matters when no Debian base image can be had.
    if ((${#missing[@]})); then
        if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
            apt_install "${missing[@]}"
        else
            say "warning: ${missing[*]} missing (needed to build the base image without a registry)"
        fi
    fi
    say "Docker engine answers (${DOCKER_HOST:-unix:///var/run/docker.sock})"
    exit 0
fi

command -v dockerd >/dev/null || [[ -x /usr/sbin/dockerd ]] || missing+=(docker.io)
command -v docker >/dev/null || [[ " ${missing[*]} " == *" docker.io "* ]] || missing+=(docker.io)
if ((${#missing[@]})); then
    apt_install "${missing[@]}"
fi
export PATH="$PATH:/usr/sbin:/sbin"
answers && { say "Docker engine answers (started by the package)"; exit 0; }

if [[ -n "${DOCKER_HOST:-}" && ${#extra_args[@]} -eq 0 && "$DOCKER_HOST" != unix://* ]]; then
    die "DOCKER_HOST=$DOCKER_HOST does not answer, and it is not a local socket this script can start"
fi
as_root "starting dockerd"

ours_running() {  # the pidfile names a live dockerd (not a recycled pid)
    local pid
    pid=$(cat "$pidfile" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == dockerd ]]
}

if ours_running; then
    say "dockerd (pid $(cat "$pidfile")) is starting; waiting for it"
else
    args=("${extra_args[@]}")
    # Listen where the client will look when DOCKER_HOST names a local socket.
    if [[ "${DOCKER_HOST:-}" == unix://* && " ${args[*]} " != *" -H "* ]]; then
        args+=(-H "$DOCKER_HOST")
    fi
    mkdir -p "$(dirname "$logfile")" "$(dirname "$pidfile")"
    say "starting dockerd (log: $logfile)"
    setsid nohup dockerd "${args[@]}" >>"$logfile" 2>&1 </dev/null &
    echo $! >"$pidfile"
fi
pid=$(cat "$pidfile")

deadline=$((SECONDS + timeout))
until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
        rm -f "$pidfile"
        echo "ensure-docker: error: dockerd exited; last lines of $logfile:" >&2
        tail -n 20 "$logfile" >&2 || true
        exit 4
    fi
    if ((SECONDS >= deadline)); then
        echo "ensure-docker: error: dockerd (pid $pid) did not answer within ${timeout}s;" \
            "last lines of $logfile:" >&2
        tail -n 20 "$logfile" >&2 || true
        exit 4
    fi
    sleep 0.5
done
say "Docker engine answers (dockerd pid $pid, started here)"
