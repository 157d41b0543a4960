#!/bin/bash
# Run from the repository root after ../shared/bench/setup.sh and cargo build --release --examples.
# Context switches and CPU time per echoed line, server side (perf software events):
# one client, 100,000 lines, against each server in turn.
set -u
source "$(dirname "$0")/servers.sh"
run() {
  name=$1; shift
  start_server "$@"
  perf stat -e context-switches,task-clock -p "$pid" -o "${TMPDIR:-/tmp}/ctxsw-$name.txt" &
  perfpid=$!
  $LG echo --port "$port" --clients 1 --lines 100000 2>&1 | grep RESULT | sed 's/^/  /'
  kill -INT $perfpid; wait $perfpid 2>/dev/null
  echo "== $name"; grep -E 'context-switches|task-clock' "${TMPDIR:-/tmp}/ctxsw-$name.txt"
  stop_server
}
run rust_tcp_echo "${TCP_ECHO[@]}"
run telnetlib_serve "${SERVE[@]}"
run telnetlib_poll "${POLL[@]}"
