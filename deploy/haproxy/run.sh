#!/bin/sh
# Three telnetlib-server backends behind HAProxy on this machine, in the foreground;
# Ctrl-C (or SIGTERM) stops them all. The recipe of docs/deploy.md, ready to run:
#
#   sudo apt-get install haproxy      # 2.4 or later
#   cargo build --release
#   deploy/haproxy/run.sh
#   telnet 127.0.0.1 6023             # then `info`: the peer is you, seen through HAProxy
#
# Ports (each can be changed through the environment):
#   FRONTEND_PORT=6023                           HAProxy, where clients connect
#   BACKEND1_PORT=6101 BACKEND2_PORT=6102 BACKEND3_PORT=6103
#                                                the backends, on 127.0.0.1 only
# Programs: TELNETLIB_SERVER (default target/release/telnetlib-server of this
# repository) and HAPROXY (default: haproxy on the PATH, else /usr/sbin/haproxy, where
# Debian puts it outside an ordinary user's PATH). Arguments given to this script go
# to every backend (say `--shell echo`, or `--pty-exec /bin/bash -- --login`).

set -eu

here=$(cd "$(dirname "$0")" && pwd)
repository=$(cd "$here/../.." && pwd)
server=${TELNETLIB_SERVER:-$repository/target/release/telnetlib-server}
haproxy=${HAPROXY:-$(command -v haproxy || echo /usr/sbin/haproxy)}

export FRONTEND_PORT="${FRONTEND_PORT:-6023}"
export BACKEND1_PORT="${BACKEND1_PORT:-6101}"
export BACKEND2_PORT="${BACKEND2_PORT:-6102}"
export BACKEND3_PORT="${BACKEND3_PORT:-6103}"

if [ ! -x "$server" ]; then
    echo "$0: no $server; run \`cargo build --release\` first, or set TELNETLIB_SERVER" >&2
    exit 1
fi
if ! "$server" --help | grep -q -- --proxy-from; then
    echo "$0: $server has no --proxy-from (an old build?); run \`cargo build --release\`" >&2
    exit 1
fi
if [ ! -x "$haproxy" ]; then
    echo "$0: no haproxy; run \`apt-get install haproxy\`, or set HAPROXY" >&2
    exit 1
fi

# Every process started here, stopped (and waited for) however the script ends.
pids=
stop() {
    trap - EXIT INT TERM
    if [ -n "$pids" ]; then
        kill $pids 2>/dev/null || true
        wait
    fi
}
trap stop EXIT
# A trapped signal interrupts `wait` below; `exit` then runs `stop`.
trap 'exit 130' INT
trap 'exit 143' TERM

for port in "$BACKEND1_PORT" "$BACKEND2_PORT" "$BACKEND3_PORT"; do
    # Only HAProxy, connecting from 127.0.0.1, may send the PROXY header that names
    # the client; anyone else is refused.
    "$server" 127.0.0.1 "$port" --proxy-from 127.0.0.1 "$@" &
    pids="$pids $!"
done

# -db: no daemon, logs on the terminal. Started in the background so that a signal
# reaches the trap at once; the script lives as long as HAProxy does.
"$haproxy" -db -f "$here/haproxy.cfg" &
haproxy_pid=$!
pids="$pids $haproxy_pid"
echo "telnet 127.0.0.1 $FRONTEND_PORT (backends on $BACKEND1_PORT $BACKEND2_PORT $BACKEND3_PORT)" >&2
wait "$haproxy_pid"
