#!/bin/sh
# The HAProxy row of the side-by-side benchmark (../shared/bench): HAProxy on PORT in
# front of BACKENDS (default 1) copies of examples/bench_server, which take the PROXY
# v2 header HAProxy sends. Its figures divided by the direct bench_server row's, in
# the same run, are the cost of the balancer.
#
#   ../shared/bench/run.sh --add "haproxy|$PWD/deploy/haproxy/bench_row.sh {PORT}" \
#       --add "direct|$PWD/target/release/examples/bench_server --port {PORT} --mode serve"
#
# Needs `cargo build --release --examples` and Debian's haproxy. Stops everything it
# started when it is stopped.
set -eu
port=$1
backends=${2:-1}
here=$(cd "$(dirname "$0")" && pwd)
server="$here/../../target/release/examples/bench_server"
work=$(mktemp -d)
pids=""
stop() {
    # shellcheck disable=SC2086
    [ -n "$pids" ] && kill $pids 2>/dev/null
    rm -rf "$work"
}
trap 'stop; exit 0' TERM INT
trap stop EXIT

free_port() { # the first port from $1 up with no listener
    p=$1
    while [ -n "$(ss -Htan "sport = :$p" 2>/dev/null)" ]; do p=$((p + 1)); done
    echo "$p"
}

cat > "$work/haproxy.cfg" <<CFG
global
    # Each connection costs HAProxy two descriptors; 20,000 is the limit here.
    maxconn 9000
defaults
    mode tcp
    timeout connect 5s
    timeout client 1h
    timeout server 1h
frontend telnet
    bind 127.0.0.1:$port
    default_backend telnet_servers
backend telnet_servers
    balance roundrobin
CFG
next=$((port + 20000))
i=1
while [ "$i" -le "$backends" ]; do
    backend_port=$(free_port "$next")
    next=$((backend_port + 1))
    "$server" --port "$backend_port" --mode serve --proxy-from 127.0.0.1 &
    pids="$pids $!"
    echo "    server b$i 127.0.0.1:$backend_port send-proxy-v2" >> "$work/haproxy.cfg"
    i=$((i + 1))
done
# The backends listen before HAProxy does, so the row is ready when its port is.
for _ in $(seq 100); do
    ready=1
    for p in $(awk '/server b/ {split($3, a, ":"); print a[2]}' "$work/haproxy.cfg"); do
        [ -n "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] || ready=0
    done
    [ "$ready" = 1 ] && break
    sleep 0.1
done
haproxy -db -f "$work/haproxy.cfg" &
pids="$pids $!"
wait
