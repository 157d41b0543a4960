#!/bin/bash
# Run from the repository root after ../shared/bench/setup.sh and cargo build --release --examples.
# Context switches and CPU time per echoed line, server side (perf software events,
# all of the server's threads): CLIENTS clients (default 1) sending LINES lines in all
# (default 100,000), against each server in turn.
#   benches/scripts/context_switches.sh [CLIENTS] [LINES]
set -u
source "$(dirname "$0")/servers.sh"
clients=${1:-1}
lines=${2:-100000}
run() {
  name=$1; shift
  start_server "$@"
  perf stat -e context-switches,task-clock -p "$pid" -o "${TMPDIR:-/tmp}/ctxsw-$name.txt" &
  perfpid=$!
  sleep 0.2
  $LG echo --port "$port" --clients "$clients" --lines $((lines / clients)) 2>&1 | grep RESULT | sed 's/^/  /'
  kill -INT $perfpid; wait $perfpid 2>/dev/null
  switches=$(awk '/context-switches/ {gsub(",", "", $1); print $1}' "${TMPDIR:-/tmp}/ctxsw-$name.txt")
  cpu_ms=$(awk '/task-clock/ {gsub(",", "", $1); print $1}' "${TMPDIR:-/tmp}/ctxsw-$name.txt")
  awk -v n="$name" -v s="$switches" -v c="$cpu_ms" -v l="$lines" \
    'BEGIN { printf "== %s: %.2f context switches per line, %.1f us CPU per line\n", n, s / l, c * 1000 / l }'
  stop_server
}
run rust_tcp_echo "${TCP_ECHO[@]}"
run telnetlib_serve "${SERVE[@]}"
run telnetlib_poll "${POLL[@]}"
