#!/usr/bin/env bash
# Stop the dockerd that scripts/ensure-docker.sh started (and only that one), then wait for it.
# An engine started any other way is left running. Same overrides as ensure-docker.sh.
set -euo pipefail

pidfile=${PITSTOP_DOCKERD_PIDFILE:-/var/run/pitstop-dockerd.pid}
timeout=${PITSTOP_DOCKERD_STOP_TIMEOUT:-30}

say() { echo "stop-docker: $*"; }

if [[ ! -f "$pidfile" ]]; then
    say "no engine started by ensure-docker.sh ($pidfile absent); nothing to stop"
    exit 0
fi
pid=$(cat "$pidfile")
if ! [[ "$pid" =~ ^[0-9]+$ ]] || ! kill -0 "$pid" 2>/dev/null; then
    say "dockerd (pid ${pid:-?}) is not running; removing $pidfile"
    rm -f "$pidfile"
    exit 0
fi
# Never signal a recycled pid: it must still be a dockerd.
comm=$(cat "/proc/$pid/comm" 2>/dev/null || ps -o comm= -p "$pid" 2>/dev/null || true)
if [[ "$comm" != dockerd ]]; then
    say "pid $pid is '$comm', not dockerd; removing stale $pidfile"
    rm -f "$pidfile"
    exit 0
fi

say "stopping dockerd (pid $pid)"
kill -TERM "$pid"
deadline=$((SECONDS + timeout))
while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
        say "dockerd did not exit within ${timeout}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 1
        break
    fi
    sleep 0.2
done
rm -f "$pidfile"
say "stopped"
